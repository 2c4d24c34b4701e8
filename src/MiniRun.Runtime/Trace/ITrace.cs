// ITrace: the narration of `--trace`, one numbered line per kernel call, grouped under named steps.
//
// Why: instructors use `minirun run --trace` to show each isolation step as it happens. The
// kernel seam (LinuxKernel) reports every call it makes here, with its real arguments and
// result; the steps report their name and one line on why. `--trace=pause` stops before each
// step so a second terminal can look at /proc/PID/ns or /proc/PID/mountinfo.
//
// Implementations: NullTrace (off), ConsoleTrace (the parent, writes to stderr), and
// ChannelTrace (inside `minirun init`, which sends the lines to the parent over the sync socket).
// ConsoleTrace prints every line, init's included, so it is where long paths are shortened for a
// projector: the engine names them once (`$BUNDLE = /var/lib/minirun/containers/<64 hex>`,
// `$ROOTFS`, `$LAYERS`, `$CGROUP`), and from then on each line shows the name instead.
namespace MiniRun.Trace;

public interface ITrace
{
    bool Enabled { get; }
    /// <summary>A named step begins: its title and why it is needed. May wait for Enter (pause mode).</summary>
    void Step(string title, string why);
    /// <summary>One kernel call or file write, with its arguments and what it produced.</summary>
    void Call(string call, string result);
    /// <summary>A fact the student can check (e.g. a namespace inode next to the host's).</summary>
    void Note(string text);
}

public sealed class NullTrace : ITrace
{
    public static readonly NullTrace Instance = new();
    public bool Enabled => false;
    public void Step(string title, string why) { }
    public void Call(string call, string result) { }
    public void Note(string text) { }
}

/// <summary>Formats trace lines; shared by ConsoleTrace and ChannelTrace so both look the same.</summary>
public static class TraceFormat
{
    public static string Step(string title, string why) => $"── {title}\n   {why}";
    public static string Call(int number, string call, string result) => $"[{number}] {call} = {result}";
    public static string Note(string text) => $"     {text}";

    /// <summary>A string argument as C would show it: "text" or NULL.</summary>
    public static string Q(string? s) => s is null ? "NULL" : "\"" + s + "\"";
}

/// <summary>The parent's trace: writes to stderr; in pause mode waits for Enter on the terminal.</summary>
public sealed class ConsoleTrace : ITrace
{
    private readonly TextWriter _out;
    private readonly bool _pause;
    private int _number;

    public ConsoleTrace(TextWriter output, bool pause, int firstNumber = 1)
    {
        _out = output;
        _pause = pause;
        _number = firstNumber;
    }

    public bool Enabled => true;
    public int NextNumber => _number;
    public bool Pauses => _pause;

    public void Step(string title, string why)
    {
        _out.WriteLine(Shorten(TraceFormat.Step(title, why)));
        if (_pause) WaitForEnter();
    }

    public void Call(string call, string result) => _out.WriteLine(Shorten(TraceFormat.Call(_number++, call, result)));
    public void Note(string text) => _out.WriteLine(Shorten(TraceFormat.Note(text)));

    /// <summary>Lines already formatted elsewhere (by init) are written as they are, but for the named paths.</summary>
    public void Raw(string line) => _out.WriteLine(Shorten(line));

    /// <summary>Named paths, longest first, so that $ROOTFS wins over the $BUNDLE it lies in.</summary>
    private readonly List<(string Path, string Name)> _names = new();

    /// <summary>
    /// From now on <paramref name="path"/> is shown as $<paramref name="name"/>; the name and its
    /// value are printed now, once (the value itself shortened by the names given before it).
    /// </summary>
    public void Name(string name, string path)
    {
        path = path.TrimEnd('/');
        if (path.Length == 0 || _names.Any(n => n.Path == path || n.Name == "$" + name)) return;
        _out.WriteLine(TraceFormat.Note($"${name} = {Shorten(path)}"));
        _names.Add((path, "$" + name));
        _names.Sort((a, b) => b.Path.Length.CompareTo(a.Path.Length));
    }

    private string Shorten(string line)
    {
        foreach (var (path, name) in _names)
            if (line.Contains(path, StringComparison.Ordinal)) line = line.Replace(path, name, StringComparison.Ordinal);
        return line;
    }

    public void WaitForEnter()
    {
        _out.Write("   (paused: press Enter to run this step)");
        _out.Flush();
        try
        {
            using var tty = new StreamReader(new FileStream("/dev/tty", FileMode.Open, FileAccess.Read));
            tty.ReadLine();
        }
        catch (IOException)
        {
            Console.In.ReadLine();   // no controlling terminal: fall back to stdin
        }
        _out.WriteLine();
    }
}
