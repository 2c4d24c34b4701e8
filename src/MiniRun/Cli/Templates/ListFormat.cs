// ListFormat: `--format` of the list commands (ps, images, history, volume ls, network ls) as
// docker/cli's formatter does it: "table" (the command's default table), "table TEMPLATE" (a
// header row made by running the template over the column names, then one row per item,
// aligned by a tabwriter), "json" (one JSON object per line: {{json .}}), or a bare TEMPLATE
// (one line per item, no alignment). In the format, the two-character sequences `\t` and `\n`
// become a tab and a newline first, as docker/cli does, so shells need no $'...'.
//
// Why: handouts use `docker ps --format 'table {{.ID}}\t{{.Names}}'` and `--format json`; one
// implementation keeps every list command alike.
// Follows: docker/cli cli/command/formatter (formatter.go: Format.IsTable/IsJSON, preFormat,
// postFormat with tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)); Go text/tabwriter.
using System.Text;

namespace MiniRun.Cli.Templates;

public static class ListFormat
{
    /// <summary>True when `format` asks for something other than the command's plain default table.</summary>
    public static bool IsCustom(string? format) => !string.IsNullOrEmpty(format);

    /// <summary>
    /// Writes the items in `format`. `defaultTable` is the command's "table ..." format (used for a
    /// bare "table"); `header` returns the column name of each field (the header row's data).
    /// </summary>
    public static void Write(TextWriter stdout, string format, string defaultTable, TemplateStruct header, IEnumerable<TemplateStruct> rows)
    {
        string text = format;
        bool table = text.StartsWith("table", StringComparison.Ordinal);
        if (text.Trim() == "table") text = defaultTable;
        if (table) text = text["table".Length..];
        else if (text == "json") text = "{{json .}}";
        text = text.Trim(' ').Replace("\\t", "\t").Replace("\\n", "\n");
        GoTemplate template;
        try { template = GoTemplate.Parse(text); }
        catch (TemplateException e) { throw new CliError("template parsing error: " + e.Message, 64); }

        var body = new StringBuilder();
        foreach (var row in rows)
        {
            try { body.Append(template.Execute(row)); }
            catch (TemplateException e) { throw new CliError(e.Message, 1); }
            body.Append('\n');
        }
        if (!table) { stdout.Write(body.ToString()); return; }
        string head = template.ExecutePartial(header, headerFunctions: true);
        stdout.Write(TabWriter.Format(head + "\n" + body));
    }

    /// <summary>A header struct: each field returns its column name; methods (ps's Label) return theirs.</summary>
    public static TemplateStruct Header(string typeName, IEnumerable<(string Field, string Column)> columns, params (string Method, string Column)[] methods)
    {
        var h = new TemplateStruct(typeName);
        foreach (var (field, column) in columns) h.Field(field, () => column);
        foreach (var (method, column) in methods) h.Method(method, _ => column);
        return h;
    }
}

/// <summary>
/// Go's text/tabwriter with Docker's settings (minwidth 10, tabwidth 1, padding 3, padchar ' ',
/// no flags): a cell is text ended by a tab; a column block is a run of consecutive lines that
/// have a cell in that column; each block's cells are padded to max(10, widest cell + 3). The text
/// after a line's last tab is not a cell and is written as is.
/// </summary>
public static class TabWriter
{
    public const int MinWidth = 10, Padding = 3;

    public static string Format(string text) => Format(text, MinWidth, Padding);

    /// <summary>Other settings, e.g. `version`'s tabwriter.NewWriter(out, 20, 1, 1, ' ', 0).</summary>
    public static string Format(string text, int minWidth, int padding)
    {
        bool endsWithNewline = text.EndsWith('\n');
        var lines = (endsWithNewline ? text[..^1] : text).Split('\n').Select(l => l.Split('\t')).ToList();
        var sb = new StringBuilder();
        var widths = new List<int>();
        FormatBlock(lines, widths, 0, lines.Count, sb, minWidth, padding);
        string result = sb.ToString();
        return endsWithNewline ? result : result[..^1];
    }

    private static int Width(string s) => s.EnumerateRunes().Count();

    private static void FormatBlock(List<string[]> lines, List<int> widths, int line0, int line1, StringBuilder sb, int minWidth, int padding)
    {
        int column = widths.Count;
        for (int i = line0; i < line1; i++)
        {
            if (column >= lines[i].Length - 1) continue;
            WriteLines(lines, widths, line0, i, sb);
            line0 = i;
            int width = minWidth;
            for (; i < line1; i++)
            {
                if (column >= lines[i].Length - 1) break;
                width = Math.Max(width, Width(lines[i][column]) + padding);
            }
            widths.Add(width);
            FormatBlock(lines, widths, line0, i, sb, minWidth, padding);
            widths.RemoveAt(widths.Count - 1);
            line0 = i;
            i--;   // the loop's i++ must look at line i again
        }
        WriteLines(lines, widths, line0, line1, sb);
    }

    private static void WriteLines(List<string[]> lines, List<int> widths, int line0, int line1, StringBuilder sb)
    {
        for (int i = line0; i < line1; i++)
        {
            var cells = lines[i];
            for (int j = 0; j < cells.Length; j++)
            {
                sb.Append(cells[j]);
                if (j < widths.Count && j < cells.Length - 1) sb.Append(' ', widths[j] - Width(cells[j]));
            }
            sb.Append('\n');
        }
    }
}
