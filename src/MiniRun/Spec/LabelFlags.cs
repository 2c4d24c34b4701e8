// LabelFlags: `run`/`create` `--label KEY=VALUE` (`-l`) and `--label-file FILE`: the container's
// labels are the image's labels, then each label file's lines, then each --label, later ones
// winning, as Docker merges them.
//
// Why: labels are how tools find their containers again (`ps --filter label=...`, compose's
// com.docker.compose.project, `container prune --filter label=...`). A label without `=` gets the
// empty value, as Docker does; a label file holds one label per line, `#` comments and blank
// lines skipped.
// Follows: docker-run(1) "--label", "--label-file"; docker's opts.ReadKVStrings.
namespace MiniRun.Spec;

public static class LabelFlags
{
    public static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string>? imageLabels, RunOptions options)
    {
        var labels = imageLabels is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(imageLabels, StringComparer.Ordinal);
        foreach (string file in options.LabelFiles)
            foreach (string line in ReadFile(file))
                Add(labels, line);
        foreach (string label in options.Labels) Add(labels, label);
        return labels;
    }

    private static IEnumerable<string> ReadFile(string file)
    {
        string[] lines;
        try { lines = File.ReadAllLines(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunConfigException($"open {file}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file or directory" : e.Message)}");
        }
        foreach (string raw in lines)
        {
            string line = raw.TrimStart();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            yield return line;
        }
    }

    private static void Add(Dictionary<string, string> labels, string label)
    {
        int eq = label.IndexOf('=');
        string key = eq < 0 ? label : label[..eq];
        if (key.Length == 0) throw new RunConfigException($"invalid label '{label}': empty name");
        labels[key] = eq < 0 ? "" : label[(eq + 1)..];
    }
}
