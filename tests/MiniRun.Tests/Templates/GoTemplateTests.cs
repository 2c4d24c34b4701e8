// GoTemplateTests: the template engine against Go text/template's semantics (each expected
// output is what Go prints for the same template and data), Docker's functions, the `table`
// directive and the tabwriter's layout.
using System.Text.Json;
using MiniRun.Cli;
using MiniRun.Cli.Templates;

namespace MiniRun.Tests.Templates;

public class GoTemplateTests
{
    private const string Doc = """
        {"Id":"abc","Config":{"Env":["A=1","B=2"],"Cmd":["sh","-c","echo hi"],"Entrypoint":null,"Labels":{"course":"containers","b":"x"},"User":""},
         "State":{"Status":"created","Running":false,"Pid":0,"ExitCode":137},"RepoTags":[],"Size":1234,"Ratio":0.5,"Nothing":null,"Ports":"0.0.0.0:80->80/tcp"}
        """;

    private static string R(string template, string json = Doc)
    {
        using var doc = JsonDocument.Parse(json);
        return GoTemplate.Parse(template).Execute(TemplateValues.FromJson(doc.RootElement));
    }

    private static TemplateException Fails(string template) =>
        Assert.Throws<TemplateException>(() => R(template));

    [Theory]
    [InlineData("{{.Id}}", "abc")]
    [InlineData("{{.Config.Cmd}}", "[sh -c echo hi]")]
    [InlineData("{{.Config.Entrypoint}} {{.Config.Labels}}", "[] map[b:x course:containers]")]
    [InlineData("{{len .Config.Env}}", "2")]
    [InlineData("{{index .Config.Cmd 0}}", "sh")]
    [InlineData("{{range .Config.Env}}{{.}};{{end}}", "A=1;B=2;")]
    [InlineData("{{range $i, $e := .Config.Env}}{{$i}}={{$e}} {{end}}", "0=A=1 1=B=2 ")]
    [InlineData("{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}},{{end}}", "b:x,course:containers,")]
    [InlineData("{{range .RepoTags}}x{{else}}none{{end}}", "none")]
    [InlineData("{{if eq .State.Status \"created\"}}new{{end}}", "new")]
    [InlineData("{{if eq .State.Status \"running\" \"created\"}}up or new{{end}}", "up or new")]
    [InlineData("{{if .State.Running}}up{{else if eq .State.ExitCode 137}}killed{{else}}exited{{end}}", "killed")]
    [InlineData("{{with .Config.User}}user {{.}}{{else}}root{{end}}", "root")]
    [InlineData("{{with .Config.Labels.course}}{{.}}{{end}}", "containers")]
    [InlineData("{{upper .State.Status}} {{lower \"ABC\"}} {{title \"hello world\"}}", "CREATED abc Hello World")]
    [InlineData("{{.State.Status | upper}}", "CREATED")]
    [InlineData("{{json .Config.Cmd}}", "[\"sh\",\"-c\",\"echo hi\"]")]
    [InlineData("{{json .Config.Entrypoint}}", "null")]
    [InlineData("{{json .Ports}}", "\"0.0.0.0:80->80/tcp\"")]   // Docker's json does not escape HTML
    [InlineData("{{join .Config.Env \",\"}}", "A=1,B=2")]
    [InlineData("{{split \"a:b:c\" \":\"}}", "[a b c]")]
    [InlineData("{{truncate .Id 2}}|{{pad .Id 1 2}}|", "ab| abc  |")]
    [InlineData("{{printf \"%s-%d-%5.1f-%q-%-4s|\" .Id .Size .Ratio .Id \"x\"}}", "abc-1234-  0.5-\"abc\"-x   |")]
    [InlineData("{{printf \"%d\" .Id}}", "%!d(string=abc)")]
    [InlineData("{{print 1 2 \"a\" 3}} {{println .Id}}", "1 2a3 abc\n")]
    [InlineData("{{$x := .State.Status}}{{$x}} {{$x = \"y\"}}{{$x}}", "created y")]
    [InlineData("{{$.Id}}{{range .Config.Env}}{{$.Id}}{{end}}", "abcabcabc")]
    [InlineData("{{and 1 0 2}} {{or 0 \"\" \"z\"}} {{not .State.Running}}", "0 z true")]
    [InlineData("{{lt 1 2}} {{ge \"b\" \"a\"}} {{ne .Size 1234}}", "true true false")]
    [InlineData("{{(index .Config.Cmd 1)}} {{len (index .Config.Cmd 2)}}", "-c 7")]
    [InlineData("{{.Nothing}} {{.Config.Labels.nokey}} {{index .Config.Labels \"nokey\"}}|", "<no value> <no value> |")]
    [InlineData("{{.Size}} {{.Ratio}}", "1234 0.5")]
    [InlineData("a  {{- .Id -}}  b", "aabcb")]
    [InlineData("a {{/* a comment */}}b{{- /* trimmed */ -}} c", "a bc")]
    [InlineData("{{range 3}}{{.}}{{end}}", "012")]
    [InlineData("{{slice .Config.Env 1}} {{slice .Id 1 2}}", "[B=2] b")]
    [InlineData("{{`raw \\n`}}{{\"\\tq\"}}", "raw \\n\tq")]
    public void Renders_AsGo(string template, string expected) => Assert.Equal(expected, R(template));

    [Fact]
    public void Errors_AreGos()
    {
        Assert.Equal("template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"", Fails("{{.Nope}}").Message);
        Assert.Equal("template: :1:4: executing \"\" at <.Config.Nope>: map has no entry for key \"Nope\"", Fails("x {{.Config.Nope}}").Message);
        Assert.Equal("template: :2:2: executing \"\" at <index .Config.Cmd 5>: error calling index: index out of range: 5",
            Fails("\n{{index .Config.Cmd 5}}").Message);
        Assert.Equal("template: :1:2: executing \"\" at <len .Size>: error calling len: len of type int", Fails("{{len .Size}}").Message);
        Assert.Contains("wrong number of args for len: want 1 got 2", Fails("{{len .Id .Id}}").Message);
        Assert.Contains("incompatible types for comparison", Fails("{{eq .Size \"x\"}}").Message);
        Assert.Contains("can't evaluate field X in type string", Fails("{{.Id.X}}").Message);

        var unclosed = Fails("{{.Id");
        Assert.True(unclosed.IsParseError);
        Assert.Equal("template: :1: unclosed action", unclosed.Message);
        Assert.Equal("template: :1: function \"nosuch\" not defined", Fails("{{nosuch .Id}}").Message);
        Assert.Equal("template: :1: unexpected {{end}}", Fails("{{end}}").Message);
        Assert.Equal("template: :1: unexpected EOF", Fails("{{if .Id}}x").Message);
        Assert.Contains("not supported by MiniRun", Fails("{{define \"x\"}}{{end}}").Message);
        Assert.Contains("not supported by MiniRun", Fails("{{html .Id}}").Message);
        Assert.True(Fails("{{\"open}}").IsParseError);
        Assert.Contains("missing value for command", Fails("{{}}").Message);
    }

    [Fact]
    public void Inspect_WrapsErrors_WithDockersExitCodes()
    {
        using var doc = JsonDocument.Parse(Doc);
        var exec = Assert.Throws<CliError>(() => ImageInspectTemplate.Render("{{.Nope}}", doc.RootElement));
        Assert.Equal("template parsing error: template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"", exec.Message);
        Assert.Equal(1, exec.ExitCode);
        var parse = Assert.Throws<CliError>(() => ImageInspectTemplate.Render("{{.Id", doc.RootElement));
        Assert.Equal("template parsing error: template: :1: unclosed action", parse.Message);
        Assert.Equal(64, parse.ExitCode);
    }

    private static TemplateStruct Row(string id, string name, string ports) => new TemplateStruct("*formatter.ContainerContext")
        .Field("ID", () => id).Field("Names", () => name).Field("Ports", () => ports)
        .Method("Label", a => a[0] as string == "k" ? "v" : "");

    private static readonly TemplateStruct Header =
        ListFormat.Header("h", [("ID", "CONTAINER ID"), ("Names", "NAMES"), ("Ports", "PORTS")], ("Label", "LABEL"));

    private static string L(string format, params TemplateStruct[] rows)
    {
        var o = new StringWriter();
        ListFormat.Write(o, format, "table {{.ID}}\\t{{.Names}}", Header, rows);
        return o.ToString();
    }

    [Fact]
    public void ListFormat_TableJsonAndRaw_AsDockersFormatter()
    {
        var a = Row("0123456789ab", "web", "0.0.0.0:80->80/tcp");
        var b = Row("ba9876543210", "a_much_longer_name", "");
        // tabwriter(minwidth 10, padding 3): "NAMES" column is 10 wide; "CONTAINER ID" + 3.
        Assert.Equal("CONTAINER ID   NAMES\n0123456789ab   web\nba9876543210   a_much_longer_name\n", L("table", a, b));
        Assert.Equal("NAMES                CONTAINER ID\nweb                  0123456789ab\na_much_longer_name   ba9876543210\n",
            L("table {{.Names}}\\t{{.ID}}", a, b));
        Assert.Equal("ID:CONTAINER ID   NAMES\nID:0              WEB\n", L("table ID:{{truncate .ID 1}}\t{{upper .Names}}", a));
        Assert.Equal("NAMES\n", L("table {{.Names}}"));   // the header even with no rows
        Assert.Equal("web 0123456789ab\n", L("{{.Names}} {{.ID}}", a));
        Assert.Equal("web\tx\n01\n", L("{{.Names}}\\tx\\n{{truncate .ID 2}}", a));
        Assert.Equal("v|\n", L("{{.Label \"k\"}}|{{.Label \"z\"}}", a));
        Assert.Equal("LABEL\nv\n", L("table {{.Label \"k\"}}", a));
        Assert.Equal("{\"ID\":\"0123456789ab\",\"Names\":\"web\",\"Ports\":\"0.0.0.0:80-\\u003e80/tcp\"}\n", L("json", a));
        Assert.Equal(64, Assert.Throws<CliError>(() => L("{{.ID", a)).ExitCode);
        var bad = Assert.Throws<CliError>(() => L("{{.Nope}}", a));
        Assert.Equal("template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type *formatter.ContainerContext", bad.Message);
    }

    [Fact]
    public void TabWriter_ColumnBlocks_AsGos()
    {
        Assert.Equal("a             b\nlonger-cell   c\n", TabWriter.Format("a\tb\nlonger-cell\tc\n"));
        // a line without a tab ends the column block
        Assert.Equal("a         b\nplain\nccccccccccccc   d\n", TabWriter.Format("a\tb\nplain\nccccccccccccc\td\n"));
        Assert.Equal("x         y         z\n", TabWriter.Format("x\ty\tz\n"));
    }
}

public class StatsFormatTests
{
    [Fact]
    public void Stats_Format_DockersFieldsAndHeaders()
    {
        IReadOnlyList<IReadOnlyList<string>> rows = [["0123456789ab", "web", "0.50%", "1.953MiB / 7.776GiB", "0.02%", "1.05kB / 0B", "0B / 0B", "3"]];
        Assert.Equal("web 0.50% 3 0123456789ab\n", MiniRun.Cli.StatsCommand.Formatted("{{.Name}} {{.CPUPerc}} {{.PIDs}} {{.Container}}", rows));
        Assert.Equal("NAME      CPU %     MEM USAGE / LIMIT\nweb       0.50%     1.953MiB / 7.776GiB\n",
            MiniRun.Cli.StatsCommand.Formatted("table {{.Name}}\\t{{.CPUPerc}}\\t{{.MemUsage}}", rows));
    }
}
