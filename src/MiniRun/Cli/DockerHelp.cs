// DockerHelp: help pages, usage lines, `--version` and command-line errors in Docker's shape,
// replacing System.CommandLine's own: "Usage:  minirun run [OPTIONS] IMAGE [COMMAND] [ARG...]",
// the description, aliases, options as pflag prints them ("  -a, --all   ..."), and for
// `minirun --help` the commands grouped as Docker groups them (Common Commands, Management
// Commands, Commands, Global Options).
//
// Why: the course's handouts show Docker's help and errors; a student who mistypes gets Docker's
// answer and exit status: `minirun frobnicate` -> "minirun: 'frobnicate' is not a minirun
// command." (exit 1); an unknown flag -> "unknown flag: --frob" (exit 125, Docker's status for
// flag errors), and so a flag without its value ("flag needs an argument: --filter") or with a
// bad one ("invalid argument \"abc\" for \"-n, --last\" flag: ...", the value quoted as Go's %q);
// too few or too many arguments -> "\"minirun run\" requires at least 1 argument."
// with the usage (exit 1); `minirun` alone or a group alone (`minirun image`) -> its help, exit 0;
// `--version` -> "MiniRun version 0.1.0, build abc1234".
// Follows: docker(1); docker/cli cli/required.go (RequiresMinArgs, ExactArgs, NoArgs wording),
// cli/cobra.go (usage template, FlagErrorFunc: exit 125), cmd/docker (unknown command wording);
// spf13/pflag FlagUsages (option column layout) and its error texts (failf, "flag needs an argument").
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Text;
using MiniJson;

namespace MiniRun.Cli;

public static class DockerHelp
{
    private static readonly string[] Common = ["run", "exec", "ps", "build", "pull", "push", "images", "login", "logout", "search", "version", "info"];

    /// <summary>Replaces the help and version actions of the tree with Docker's.</summary>
    public static void Install(RootCommand root)
    {
        foreach (var option in root.Options)
        {
            if (option is HelpOption help) help.Action = new HelpPage();
            else if (option is VersionOption version) version.Action = new VersionLine();
        }
    }

    private sealed class HelpPage : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            Console.Out.Write(Page(parseResult.CommandResult));
            return 0;
        }
    }

    private sealed class VersionLine : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            Console.Out.WriteLine(VersionText);
            return 0;
        }
    }

    /// <summary>--help or --version was given: they answer even when the rest of the line is incomplete (`run --help`).</summary>
    public static bool AnswersItself(ParseResult parse) => parse.Action is HelpPage or VersionLine;

    public static string VersionText => $"MiniRun version {InfoCommand.Version}, build {InfoCommand.GitCommit}";

    /// <summary>"minirun container ls": the names from the root to this command.</summary>
    public static string PathOf(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Add(c.Command is RootCommand ? "minirun" : c.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    private static bool IsGlobal(Option o) => o.Name is "--root" or "--debug" || o is HelpOption or VersionOption;

    /// <summary>Docker's use line: "minirun rm [OPTIONS] CONTAINER [CONTAINER...]".</summary>
    public static string UseLine(Command command, string path)
    {
        if (command is RootCommand) return "minirun [OPTIONS] COMMAND";
        if (command.Subcommands.Count > 0 && command.Arguments.Count == 0) return path + " COMMAND";
        var sb = new StringBuilder(path);
        if (command.Options.Any(o => !IsGlobal(o) && !o.Hidden)) sb.Append(" [OPTIONS]");
        foreach (var a in command.Arguments.Where(a => !a.Hidden))
        {
            sb.Append(' ');
            string name = a.Name;
            int min = a.Arity.MinimumNumberOfValues, max = a.Arity.MaximumNumberOfValues;
            if (name.Contains(' ') || name.Contains('[')) sb.Append(min == 0 && !name.StartsWith('[') ? $"[{name}]" : name);
            else if (max <= 1) sb.Append(min == 0 ? $"[{name}]" : name);
            else sb.Append(min == 0 ? $"[{name}...]" : $"{name} [{name}...]");
        }
        return sb.ToString();
    }

    /// <summary>The help page of a command, Docker's layout.</summary>
    public static string Page(CommandResult result)
    {
        var command = result.Command;
        string path = PathOf(result);
        var sb = new StringBuilder();
        sb.Append("\nUsage:  ").Append(UseLine(command, path)).Append("\n\n");
        sb.Append(command.Description).Append('\n');
        if (command is not RootCommand && command.Aliases.Count > 0)
        {
            string parent = path[..path.LastIndexOf(' ')];
            sb.Append("\nAliases:\n  ").Append(string.Join(", ", new[] { command.Name }.Concat(command.Aliases).Select(a => $"{parent} {a}"))).Append('\n');
        }
        var subcommands = command.Subcommands.Where(c => !c.Hidden).ToList();
        if (command is RootCommand)
        {
            Commands(sb, "Common Commands:", subcommands.Where(c => Common.Contains(c.Name)).OrderBy(c => Array.IndexOf(Common, c.Name)));
            Commands(sb, "Management Commands:", subcommands.Where(c => c.Subcommands.Count > 0).OrderBy(c => c.Name, StringComparer.Ordinal));
            Commands(sb, "Commands:", subcommands.Where(c => c.Subcommands.Count == 0 && !Common.Contains(c.Name)).OrderBy(c => c.Name, StringComparer.Ordinal));
            Options(sb, "Global Options:", command.Options.Where(o => !o.Hidden));
            sb.Append("\nRun 'minirun COMMAND --help' for more information on a command.\n");
            return sb.ToString();
        }
        if (subcommands.Count > 0) Commands(sb, "Commands:", subcommands.OrderBy(c => c.Name, StringComparer.Ordinal));
        var own = command.Options.Where(o => !IsGlobal(o) && !o.Hidden).ToList();
        if (own.Count > 0) Options(sb, "Options:", own);
        if (subcommands.Count > 0) sb.Append($"\nRun '{path} COMMAND --help' for more information on a command.\n");
        return sb.ToString();
    }

    private static void Commands(StringBuilder sb, string title, IEnumerable<Command> commands)
    {
        var list = commands.ToList();
        if (list.Count == 0) return;
        int pad = Math.Max(11, list.Max(c => c.Name.Length));
        sb.Append('\n').Append(title).Append('\n');
        foreach (var c in list) sb.Append("  ").Append(c.Name.PadRight(pad)).Append(' ').Append(c.Description).Append('\n');
    }

    /// <summary>pflag's layout: "  -a, --all" or "      --name", the value's type, then the description 3 columns after the longest.</summary>
    private static void Options(StringBuilder sb, string title, IEnumerable<Option> options)
    {
        var lines = new List<(string Left, string Description)>();
        foreach (var o in options.OrderBy(o => o.Name.TrimStart('-'), StringComparer.Ordinal))
        {
            string? shortName = o.Aliases.FirstOrDefault(a => a.Length == 2 && a[0] == '-' && a[1] != '-');
            string? longName = new[] { o.Name }.Concat(o.Aliases).FirstOrDefault(a => a.StartsWith("--", StringComparison.Ordinal));
            if (o is HelpOption) { shortName = "-h"; longName = "--help"; }
            string left = shortName is not null && longName is not null ? $"  {shortName}, {longName}"
                : longName is not null ? $"      {longName}" : $"  {shortName ?? o.Name}";
            string type = ValueType(o);
            if (type.Length > 0) left += " " + type;
            lines.Add((left, o is HelpOption ? "Print usage" : o is VersionOption ? "Print version information and quit" : o.Description ?? ""));
        }
        int width = lines.Max(l => l.Left.Length);
        sb.Append('\n').Append(title).Append('\n');
        foreach (var (left, description) in lines) sb.Append(left.PadRight(width + 3)).Append(description).Append('\n');
    }

    private static string ValueType(Option o)
    {
        if (o.Arity.MaximumNumberOfValues == 0) return "";
        var t = o.ValueType;
        if (t == typeof(bool)) return "";
        if (t.IsArray || (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>))) return "list";
        if (t == typeof(int) || t == typeof(int?)) return "int";
        if (t == typeof(long) || t == typeof(long?)) return "int";
        if (t == typeof(double) || t == typeof(double?)) return "float";
        return "string";
    }

    /// <summary>pflag's wording for a value that does not convert: invalid argument "abc" for "-n, --last" flag: strconv.ParseInt: ...</summary>
    private static string? FlagValueError(ParseError error)
    {
        var option = error.SymbolResult as OptionResult ?? error.SymbolResult?.Parent as OptionResult;
        if (option is null || option.Tokens.Count == 0 || !error.Message.StartsWith("Cannot parse argument", StringComparison.Ordinal)) return null;
        string value = option.Tokens[^1].Value;
        var o = option.Option;
        string? shortName = o.Aliases.FirstOrDefault(a => a.Length == 2 && a[0] == '-' && a[1] != '-');
        string names = shortName is null ? o.Name : $"{shortName}, {o.Name}";
        var t = Nullable.GetUnderlyingType(o.ValueType) ?? o.ValueType;
        string why = t == typeof(int) || t == typeof(long) ? $"strconv.ParseInt: parsing {GoQuote.Quote(value)}: invalid syntax"
            : t == typeof(bool) ? $"strconv.ParseBool: parsing {GoQuote.Quote(value)}: invalid syntax"
            : t == typeof(double) ? $"strconv.ParseFloat: parsing {GoQuote.Quote(value)}: invalid syntax"
            : error.Message;
        return $"invalid argument {GoQuote.Quote(value)} for \"{names}\" flag: {why}";
    }

    /// <summary>pflag's wording for a flag given last without its value: "flag needs an argument: --filter", "flag needs an argument: 'n' in -n".</summary>
    private static string? MissingValueError(string message)
    {
        const string Missing = "Required argument missing for option: '";
        if (!message.StartsWith(Missing, StringComparison.Ordinal)) return null;
        string flag = message[Missing.Length..].TrimEnd('.').TrimEnd('\'');
        return flag.StartsWith("--", StringComparison.Ordinal) ? $"flag needs an argument: {flag}"
            : flag.Length == 2 && flag[0] == '-' ? $"flag needs an argument: {GoQuote.QuoteRune(flag[1])} in {flag}"
            : null;
    }

    /// <summary>Docker's answer to a command line that does not parse; returns the exit status.</summary>
    public static int ParseErrors(ParseResult parse, TextWriter stdout, TextWriter stderr)
    {
        var result = parse.CommandResult;
        var command = result.Command;
        string path = PathOf(result);
        var unmatched = parse.UnmatchedTokens;
        string? flag = unmatched.FirstOrDefault(t => t.StartsWith('-') && t.Length > 1);
        if (flag is not null)
        {
            string what = flag.StartsWith("--", StringComparison.Ordinal)
                ? $"unknown flag: {flag.Split('=')[0]}"
                : $"unknown shorthand flag: '{flag[1]}' in {flag}";
            stderr.WriteLine(what);
            stderr.WriteLine($"See '{path} --help'.");
            return 125;
        }
        if (command.Subcommands.Count > 0 && command.Arguments.Count == 0)
        {
            // a group (or the root) without a command is its help; an unknown word is not a command
            if (unmatched.Count == 0)
            {
                if (parse.Errors.All(e => e.Message.StartsWith("Required command", StringComparison.Ordinal)))
                {
                    stdout.Write(Page(result));
                    return 0;
                }
            }
            else
            {
                string words = string.Join(' ', path.Split(' ').Skip(1).Concat(unmatched.Take(1)));
                stderr.WriteLine($"minirun: '{words}' is not a minirun command.");
                stderr.WriteLine("See 'minirun --help'");
                return 1;
            }
        }
        var arguments = command.Arguments.Where(a => !a.Hidden).ToList();
        int given = result.Children.OfType<ArgumentResult>().Sum(a => a.Tokens.Count) + unmatched.Count;
        int min = arguments.Sum(a => a.Arity.MinimumNumberOfValues);
        long max = arguments.Sum(a => (long)a.Arity.MaximumNumberOfValues);
        string? count = null;
        if (arguments.Count == 0 && given > 0) count = $"\"{path}\" accepts no arguments.";
        else if (given < min || given > max)
        {
            string Plural(long n) => n == 1 ? "argument" : "arguments";
            count = min == max ? $"\"{path}\" requires exactly {min} {Plural(min)}."
                : given < min ? $"\"{path}\" requires at least {min} {Plural(min)}."
                : $"\"{path}\" requires at most {max} {Plural(max)}.";
        }
        if (count is not null)
        {
            stderr.WriteLine(count);
            stderr.WriteLine($"See '{path} --help'.");
            stderr.WriteLine();
            stderr.WriteLine($"Usage:  {UseLine(command, path)}");
            stderr.WriteLine();
            stderr.WriteLine(command.Description);
            return 1;
        }
        // anything else is about a flag's value (e.g. -n abc): Docker's flag errors exit 125
        foreach (var error in parse.Errors)
            stderr.WriteLine(FlagValueError(error) ?? MissingValueError(error.Message)
                ?? (error.Message.StartsWith("invalid argument \"", StringComparison.Ordinal) ? error.Message : $"minirun: {error.Message}"));
        stderr.WriteLine($"See '{path} --help'.");
        return 125;
    }
}
