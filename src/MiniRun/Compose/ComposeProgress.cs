// ComposeProgress: docker compose v2's progress lines for a command's resources -
//
//   [+] Running 3/3
//    ✔ Network app_default    Created
//    ✔ Container app-redis-1  Started
//
// Why: the course shows these lines. Docker redraws them on a terminal while the work goes on;
// MiniRun prints the final screen once per step (one line per resource, its last status), which is
// what a terminal shows when the command ends and what a log file gets. A failed resource gets ✘
// and the error; the lines of what was done before it are printed too, so the user sees what
// `down` will have to remove.
//
// Follows: docker compose's tty progress writer (its final screen).
namespace MiniRun.Compose;

public sealed class ComposeProgress(TextWriter output, string title)
{
    private readonly List<(string Kind, string Name, string Status, bool Failed)> _lines = new();

    public void Done(string kind, string name, string status)
    {
        int at = _lines.FindIndex(l => l.Kind == kind && l.Name == name);
        if (at >= 0) _lines[at] = (kind, name, status, false);
        else _lines.Add((kind, name, status, false));
    }

    public void Failed(string kind, string name, string status)
    {
        int at = _lines.FindIndex(l => l.Kind == kind && l.Name == name);
        if (at >= 0) _lines[at] = (kind, name, status, true);
        else _lines.Add((kind, name, status, true));
    }

    public int Count => _lines.Count;

    /// <summary>Prints the screen and forgets it.</summary>
    public void Flush()
    {
        if (_lines.Count == 0) return;
        int done = _lines.Count(l => !l.Failed);
        static string Label(string kind, string name) => kind.Length == 0 ? name : kind + " " + name;   // no kind: a service's pull
        int width = _lines.Max(l => Label(l.Kind, l.Name).Length);
        output.WriteLine($"[+] {title} {done}/{_lines.Count}");
        foreach (var (kind, name, status, failed) in _lines)
            output.WriteLine($" {(failed ? "✘" : "✔")} {Label(kind, name).PadRight(width)}  {status}");
        output.Flush();
        _lines.Clear();
    }
}
