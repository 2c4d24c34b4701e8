// LabCli: `minirun lab list` and `minirun lab run N` - the course's labs (docs/labs/), run step by
// step for a student: each command of the lab is shown, run when the student presses Enter, and
// its real output printed next to the output the lab expects, with a verdict: they agree or not.
//
// Why: the course's method is "compare the expected output with the actual one". The runner
// reads the same Markdown the student reads, and judges with the same rule as the lab tests
// (Labs/LabFile.cs): "<id>" stands for a value that changes from run to run and must stay the
// same within the lab. A step marked `<!-- lab: needs PATH -->` is skipped where PATH is missing
// (cgroup v2 steps outside the VM).
//
// Where: the labs are docs/labs/<lang>/NN-*.md below the current directory (students work in the
// repository: `cd /vagrant`), else beside this binary (artifacts/bin/../../docs/labs), or --labs.
// The language is the locale's (LANG=ja_JP.UTF-8: ja) unless --lang says. Each command runs as
// `bash -c` in the current directory with LC_ALL=C (the expected outputs are the C locale's),
// stderr with stdout, and `sudo` as a no-op (the runner itself runs under sudo).
//
// Follows: docs/labs/README.md (the labs' form and conventions).
using System.CommandLine;
using System.Diagnostics;
using System.Text.RegularExpressions;
using MiniRun.Labs;
using MiniRun.Trace;
using MiniJson;

namespace MiniRun.Cli;

public static class LabCli
{
    public static Command Build(Option<string> rootOption, Option<bool> debugOption)
    {
        var group = new Command("lab", "List and run the course's labs step by step (docs/labs)");
        var labsOption = new Option<string?>("--labs") { Description = "The labs' directory (default: ./docs/labs, else beside the binary)" };
        var langOption = new Option<string?>("--lang") { Description = "ja or en (default: the locale's)" };
        group.Subcommands.Add(Program.Verb("list", "List the labs", rootOption, debugOption, cmd =>
        {
            cmd.Options.Add(labsOption);
            cmd.Options.Add(langOption);
            return p => List(LabsDir(p.GetValue(labsOption)), Language(p.GetValue(langOption)), Console.Out);
        }));
        group.Subcommands.Add(Program.Verb("run", "Run a lab's steps one at a time, comparing each output with the lab's", rootOption, debugOption, cmd =>
        {
            var number = new Argument<int>("N") { Description = "The lab's number (see `lab list`)" };
            var yes = new Option<bool>("--yes", "-y") { Description = "Do not wait for Enter before each step" };
            cmd.Options.Add(labsOption);
            cmd.Options.Add(langOption);
            cmd.Options.Add(yes);
            cmd.Arguments.Add(number);
            return p => Run(LabsDir(p.GetValue(labsOption)), Language(p.GetValue(langOption)), p.GetValue(number),
                wait: !p.GetValue(yes) && !Console.IsInputRedirected, Console.Out);
        }));
        return group;
    }

    private static string Language(string? flag) => flag switch
    {
        null => NarrationLanguage.Japanese ? "ja" : "en",
        "ja" or "en" => flag,
        _ => throw new CliError($"lab: --lang {GoQuote.Quote(flag)}: use ja or en", 1),
    };

    private static string LabsDir(string? flag)
    {
        if (flag is not null)
            return Directory.Exists(flag) ? flag : throw new CliError($"lab: --labs {GoQuote.Quote(flag)}: no such directory", 1);
        string here = Path.Combine(Environment.CurrentDirectory, "docs", "labs");
        if (Directory.Exists(here)) return here;
        string beside = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "docs", "labs"));
        if (Directory.Exists(beside)) return beside;
        throw new CliError("lab: no docs/labs here: run it in the MiniRun repository (in the VM: cd /vagrant), or give --labs DIR", 1);
    }

    /// <summary>The labs of one language, by number: NN-name.md, with the title (the first "# " line).</summary>
    public static List<(int Number, string Path, string Title)> Labs(string labsDir, string language)
    {
        string dir = Path.Combine(labsDir, language);
        if (!Directory.Exists(dir)) throw new CliError($"lab: {dir}: no such directory", 1);
        var labs = new List<(int, string, string)>();
        foreach (var file in Directory.EnumerateFiles(dir, "*.md"))
        {
            var m = Regex.Match(Path.GetFileName(file), @"^(\d+)-.*\.md$");
            if (!m.Success) continue;
            string title = File.ReadLines(file).FirstOrDefault(l => l.StartsWith("# ", StringComparison.Ordinal))?[2..].Trim() ?? Path.GetFileName(file);
            labs.Add((int.Parse(m.Groups[1].Value), file, title));
        }
        return labs.OrderBy(l => l.Item1).ToList();
    }

    public static int List(string labsDir, string language, TextWriter output)
    {
        foreach (var (number, path, title) in Labs(labsDir, language))
        {
            int steps = LabFile.Parse(path).Count;
            output.WriteLine($"{number,3}  {title}  ({Messages.LabSteps.With(steps)})");
        }
        return 0;
    }

    public static int Run(string labsDir, string language, int number, bool wait, TextWriter output)
    {
        var lab = Labs(labsDir, language).Where(l => l.Number == number).ToList();
        if (lab.Count == 0) throw new CliError($"lab: no lab {number} in {Path.Combine(labsDir, language)} (see `minirun lab list`)", 1);
        var (_, path, title) = lab[0];
        var commands = LabFile.Parse(path);
        output.WriteLine($"{title}  ({Path.GetRelativePath(Environment.CurrentDirectory, path)})");
        var bound = new Dictionary<string, string>();
        int agreed = 0, differed = 0, skipped = 0;
        for (int i = 0; i < commands.Count; i++)
        {
            var c = commands[i];
            output.WriteLine();
            output.WriteLine($"── {i + 1}/{commands.Count}  ({Path.GetFileName(path)}:{c.Line})");
            output.WriteLine($"$ {c.Command}");
            if (c.Needs is not null && !File.Exists(c.Needs) && !Directory.Exists(c.Needs))
            {
                output.WriteLine("   " + Messages.LabSkipped.With(c.Needs).Text);
                skipped++;
                continue;
            }
            if (wait)
            {
                output.Write("   " + Messages.LabPressEnter.Text);
                output.Flush();
                if (Console.ReadLine() is null) return 1;
            }
            var actual = LabFile.Lines(RunCommand(c.Command));
            bool same = LabFile.Agrees(c.Expected, actual, bound);
            ShowSideBySide(output, c.Expected, actual, bound);
            output.WriteLine("   " + (same ? Messages.LabAgree : Messages.LabDiffer).Text);
            if (same) agreed++; else differed++;
        }
        output.WriteLine();
        output.WriteLine(Messages.LabResult.With(agreed, differed, skipped).Text);
        return differed == 0 ? 0 : 1;
    }

    /// <summary>Expected | actual, one line each, "=" where the line matches and "≠" where not; 100 columns.</summary>
    private static void ShowSideBySide(TextWriter output, IReadOnlyList<string> expected, IReadOnlyList<string> actual,
        Dictionary<string, string> bound)
    {
        const int column = 46;
        output.WriteLine($"   {Fit(Messages.LabExpected.Text, column)}   {Messages.LabActual.Text}");
        var trial = new Dictionary<string, string>(bound);
        for (int i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            string e = i < expected.Count ? expected[i] : "", a = i < actual.Count ? actual[i] : "";
            bool match = i < expected.Count && i < actual.Count && LabFile.Matches(e, a, trial);
            output.WriteLine($"   {Fit(e, column)} {(match ? "=" : "≠")} {Fit(a, column)}");
        }
    }

    /// <summary>The text padded or cut (with "…") to exactly <paramref name="width"/> terminal columns.</summary>
    private static string Fit(string text, int width)
    {
        if (DisplayWidth.Of(text) <= width) return text + new string(' ', width - DisplayWidth.Of(text));
        var kept = new System.Text.StringBuilder();
        int used = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            int w = DisplayWidth.Of(rune.Value);
            if (used + w > width - 1) break;
            kept.Append(rune.ToString());
            used += w;
        }
        return kept.Append('…').Append(' ', width - 1 - used).ToString();
    }

    /// <summary>One lab command as a student would type it: bash, stderr into stdout, C locale, sudo a no-op.</summary>
    private static string RunCommand(string command)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec 2>&1\nsudo() { \"$@\"; }\n" + command);
        psi.Environment["LC_ALL"] = "C";
        using var p = Process.Start(psi) ?? throw new CliError("lab: cannot start bash", 1);
        p.StandardInput.Close();
        string text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return text;
    }
}
