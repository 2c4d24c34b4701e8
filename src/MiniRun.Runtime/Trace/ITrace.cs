// ITrace: the narration of `--trace`, one numbered line per kernel call, grouped under numbered steps.
//
// Why: instructors use `minirun run --trace` to show each isolation step as it happens, on a
// projector. The kernel seam (LinuxKernel) reports every call it makes here, with its real
// arguments and result; the steps report their title and one line on why, as a Narration from
// the catalog (Trace/Messages.cs: English and Japanese, by the locale). `--trace=pause` stops
// before each step and prints the command to type in a second terminal meanwhile (LookWith, in
// full: no $NAME in it, so it can be pasted).
//
// Implementations: NullTrace (off), ConsoleTrace (the parent, writes to stderr), and
// ChannelTrace (inside `minirun init`, which sends the lines to the parent over the sync socket).
// ConsoleTrace prints every line, init's included, so it is where a line is made to fit 100
// columns (East Asian Wide characters count two): the engine names long paths once
// (`$BUNDLE = /var/lib/minirun/containers/<64 hex>`, `$ROOTFS`, `$LAYERS`, `$CGROUP`) and each
// later line shows the name; a line still too wide is wrapped. It numbers every step heading and
// every call, init's too (one counter: no number twice), and closes with a summary of the facts
// the steps recorded (Fact): namespaces, mounts, limits, capabilities, seccomp, uid map, command;
// `pull` and `rm` close with a summary of their own (Summary(title, lines)). A call's result is
// the kernel's value; any words explaining it come from the catalog too (Messages.Result*).
namespace MiniRun.Trace;

/// <summary>What the closing summary of a trace lists, in this order.</summary>
public enum TraceFact { Namespaces, Mounts, Limits, Capabilities, Seccomp, UidMap, Command }

public interface ITrace
{
    bool Enabled { get; }
    /// <summary>A step begins: its title and why it is needed. May wait for Enter (pause mode).</summary>
    void Step(Narration title, Narration why);
    /// <summary>One kernel call or file write, with its arguments and what it produced (not translated).</summary>
    void Call(string call, string result);
    /// <summary>A fact the student can check (e.g. a namespace inode next to the host's).</summary>
    void Note(Narration text);
    /// <summary>A line of a program listing (a seccomp or device filter, nft rules): shown as it is, not translated.</summary>
    void Listing(string line);
    /// <summary>One item for the closing summary (a namespace made, a mount, a limit written...).</summary>
    void Fact(TraceFact fact, string value);
}

public sealed class NullTrace : ITrace
{
    public static readonly NullTrace Instance = new();
    public bool Enabled => false;
    public void Step(Narration title, Narration why) { }
    public void Call(string call, string result) { }
    public void Note(Narration text) { }
    public void Listing(string line) { }
    public void Fact(TraceFact fact, string value) { }
}

/// <summary>Formats trace lines; shared by ConsoleTrace and ChannelTrace so both look the same.</summary>
public static class TraceFormat
{
    /// <summary>How a step heading starts; ConsoleTrace puts the step's number after it.</summary>
    public const string StepMark = "── ";
    public static string Step(string title, string why) => $"{StepMark}{title}\n   {why}";
    public static string Call(int number, string call, string result) => $"[{number}] {call} = {result}";
    public static string Note(string text) => $"     {text}";

    /// <summary>A string argument as C would show it: "text" or NULL.</summary>
    public static string Q(string? s) => s is null ? "NULL" : "\"" + s + "\"";

    /// <summary>The widest line, in terminal columns (a Japanese character counts two).</summary>
    public const int Columns = 100;
}

/// <summary>The parent's trace: writes to stderr; in pause mode waits for Enter on the terminal.</summary>
public sealed class ConsoleTrace : ITrace
{
    private readonly TextWriter _out;
    private readonly bool _pause;
    private int _number;
    private int _step;
    private readonly Dictionary<TraceFact, List<string>> _facts = new();

    public ConsoleTrace(TextWriter output, bool pause, int firstNumber = 1)
    {
        _out = output;
        _pause = pause;
        _number = firstNumber;
    }

    public bool Enabled => true;
    public int NextNumber => _number;
    public bool Pauses => _pause;

    /// <summary>What `minirun init` gets in _MINIRUN_TRACE: its first call number, pause, the language.</summary>
    public string InitVariable(int firstNumber) =>
        $"{firstNumber}{(_pause ? ",pause" : "")}{(NarrationLanguage.Japanese ? ",ja" : "")}";

    /// <summary>
    /// The command a student types in a second terminal while a paused step waits (e.g.
    /// `ls -l /proc/PID/ns`); set when there is something new to look at. Printed as it is, with
    /// full paths, so that it can be typed or pasted.
    /// </summary>
    public string? LookWith { get; set; }

    public void Step(Narration title, Narration why)
    {
        Write(TraceFormat.Step(title.Text, why.Text));
        if (_pause) WaitForEnter();
    }

    public void Call(string call, string result) => Write(TraceFormat.Call(_number++, call, result));
    public void Note(Narration text) => Write(TraceFormat.Note(text.Text));
    public void Listing(string line) => Write(TraceFormat.Note(line));

    public void Fact(TraceFact fact, string value)
    {
        if (!_facts.TryGetValue(fact, out var values)) _facts[fact] = values = new();
        if (!values.Contains(value)) values.Add(value);
    }

    /// <summary>Lines already formatted elsewhere (by init): shortened, numbered (steps), wrapped like the others.</summary>
    public void Raw(string line)
    {
        // init numbered its calls from the number it was given: the parent's own go on after them
        if (line.StartsWith('[') && line.IndexOf(']') is int close and > 1 && int.TryParse(line.AsSpan(1, close - 1), out int n) && n >= _number)
            _number = n + 1;
        Write(line);
    }

    /// <summary>
    /// The closing summary: what the steps made, one line per kind (wrapped to the width), "none"
    /// (in the trace's language) where no step recorded anything.
    /// </summary>
    public void Summary()
    {
        Write(TraceFormat.StepMark + Messages.SummaryTitle.Text);
        foreach (var fact in Enum.GetValues<TraceFact>())
        {
            string label = Messages.FactLabel(fact).Text;
            string value = _facts.TryGetValue(fact, out var values) && values.Count > 0
                ? (fact == TraceFact.Mounts ? $"{values.Count}: " : "") + string.Join(fact == TraceFact.Namespaces ? " " : ", ", values)
                : Messages.FactNone(fact).Text;
            Write(TraceFormat.Note($"{label}: {value}"));
        }
    }

    /// <summary>
    /// The closing summary of a command that makes no container (pull, rm): a heading, then one
    /// "label: value" line each.
    /// </summary>
    public void Summary(Narration title, IEnumerable<(Narration Label, string Value)> lines)
    {
        Write(TraceFormat.StepMark + title.Text);
        foreach (var (label, value) in lines) Write(TraceFormat.Note($"{label.Text}: {value}"));
    }

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
        Write(TraceFormat.Note($"${name} = {Shorten(path)}"));
        _names.Add((path, "$" + name));
        _names.Sort((a, b) => b.Path.Length.CompareTo(a.Path.Length));
    }

    private string Shorten(string line)
    {
        foreach (var (path, name) in _names)
            if (line.Contains(path, StringComparison.Ordinal)) line = line.Replace(path, name, StringComparison.Ordinal);
        return line;
    }

    /// <summary>Every line goes out here: named paths shortened, a step heading numbered, then wrapped to 100 columns.</summary>
    private void Write(string text)
    {
        text = Shorten(text);
        if (text.StartsWith(TraceFormat.StepMark, StringComparison.Ordinal))
            text = $"{TraceFormat.StepMark}{++_step}. {text[TraceFormat.StepMark.Length..]}";
        _out.WriteLine(DisplayWidth.WrapAll(text, TraceFormat.Columns));
    }

    public void WaitForEnter()
    {
        // the command as typed: its paths in full, not as the $NAMES of the trace
        if (LookWith is { } look) _out.WriteLine(DisplayWidth.WrapAll(TraceFormat.Note(Messages.PauseLook.With(look).Text), TraceFormat.Columns));
        _out.Write(DisplayWidth.WrapAll("   " + Messages.PausePrompt.Text, TraceFormat.Columns));
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
