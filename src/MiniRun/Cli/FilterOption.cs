// FilterOption: the `--filter` flag of ps, images, network ls, volume ls and the prunes, with
// pflag's check of each value's shape: a value without `name=` is a flag error, refused while the
// command line is parsed, before anything is read: `invalid argument "foo" for "-f, --filter"
// flag: bad format of filter (expected name=value)`, `See 'minirun ps --help'.`, exit 125.
//
// Why: Docker's CLI parses --filter into its filter options as pflag reads the flag, so a value
// without `=` never reaches the daemon; every flag error exits 125 with the help line. Keys and
// values the daemon does not know are its own errors (`Error response from daemon: invalid filter
// 'foo'`, exit 1), checked by each command (PsFilter, ImageFilter, ...).
// Follows: docker/cli opts.FilterOpt.Set ("bad format of filter (expected name=value)");
// spf13/pflag's failf wording (invalid argument %q for %q flag: %v), the flag named "-f, --filter"
// when it has a shorthand, "--filter" otherwise; docker/cli cli/cobra.go FlagErrorFunc (exit 125).
using System.CommandLine;
using MiniJson;

namespace MiniRun.Cli;

public static class FilterOption
{
    /// <summary>A repeatable --filter (with -f when <paramref name="shorthand"/>) whose values are checked as pflag checks them.</summary>
    public static Option<string[]> Create(string description, bool shorthand = true)
    {
        var option = shorthand ? new Option<string[]>("--filter", "-f") : new Option<string[]>("--filter");
        option.Description = description;
        option.AllowMultipleArgumentsPerToken = false;
        option.Validators.Add(r =>
        {
            foreach (var t in r.Tokens)
                if (FormatError(t.Value, shorthand) is { } bad) { r.AddError(bad); return; }   // DockerHelp.ParseErrors: exit 125
        });
        return option;
    }

    /// <summary>pflag's error for a value without `name=`, or null when the value has one.</summary>
    public static string? FormatError(string value, bool shorthand = true) =>
        value.IndexOf('=') > 0 ? null
            : $"invalid argument {GoQuote.Quote(value)} for \"{(shorthand ? "-f, --filter" : "--filter")}\" flag: bad format of filter (expected name=value)";
}
