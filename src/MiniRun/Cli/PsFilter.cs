// PsFilter: `ps --filter KEY=VALUE`, Docker's keys and matching rules.
//
// Why: the course filters containers by state and name (`ps -f status=exited`, `-f name=^/web$`).
// Several values of one key are alternatives (OR), different keys must all match (AND), as in
// Docker. name and id are regular expressions searched in the name ("/web", with the slash, as
// Docker stores it) and the full id, so a prefix or a substring matches; status and exited are
// checked for valid values first, with Docker's error text. ancestor matches the image the
// container was made from, given as name[:tag], ID (prefix) or sha256:ID; it asks the image
// store only when such a filter is present. label=KEY or label=KEY=VALUE: every label value must
// match (labels are AND, the other keys OR among their values). volume matches a volume's name
// or a mount's destination (the container's mounts.json: Volumes/ContainerMounts.cs).
//
// Follows: docker-ps(1) "Filtering" (id, name, status, ancestor, exited, label, volume), Docker's
// daemon/list.go rules (invalid filter 'KEY', invalid filter 'status=X').
using System.Text.RegularExpressions;
using MiniRun.Containers;

namespace MiniRun.Cli;

public sealed class PsFilter
{
    public static readonly string[] Keys = ["status", "name", "id", "ancestor", "exited", "label", "volume"];

    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public bool IsEmpty => _values.Count == 0;
    public bool Has(string key) => _values.ContainsKey(key);
    public IReadOnlyList<string> Values(string key) => _values.TryGetValue(key, out var v) ? v : [];

    /// <summary>Parses the --filter values; throws CliError with Docker's text for bad ones (the daemon's, exit 1; a value without `=` is pflag's, exit 125).</summary>
    public static PsFilter Parse(IEnumerable<string> filters)
    {
        var f = new PsFilter();
        foreach (string raw in filters)
        {
            int eq = raw.IndexOf('=');
            if (FilterOption.FormatError(raw) is { } bad)
                throw new CliError(bad, 125);   // FilterOption refuses it while parsing; this is for other callers
            string key = raw[..eq].Trim().ToLowerInvariant(), value = raw[(eq + 1)..].Trim();
            if (!Keys.Contains(key))
                throw CliError.Daemon($"invalid filter '{key}'");
            if (key == "status" && !PsState.Names.Contains(value))
                throw CliError.Daemon($"invalid filter 'status={value}'");
            if (key == "exited" && !int.TryParse(value, out _))
                throw CliError.Daemon($"invalid filter 'exited={value}'");
            if (!f._values.TryGetValue(key, out var list)) f._values[key] = list = new();
            if (!list.Contains(value)) list.Add(value);
        }
        return f;
    }

    /// <summary>
    /// True when the container passes every key. <paramref name="effective"/> is its status now
    /// (PsState.Effective); <paramref name="ancestorIds"/> the image IDs the ancestor values name.
    /// </summary>
    /// <param name="containerDir">Its directory, for volume= (its mounts.json); null: no mounts known.</param>
    public bool Matches(ContainerRecord c, string effective, IReadOnlySet<string> ancestorIds, string? containerDir = null)
    {
        foreach (var (key, values) in _values)
        {
            bool any = key switch
            {
                "status" => values.Contains(effective),
                "name" => values.Any(v => RegexFinds(v, "/" + c.Name)),
                "id" => values.Any(v => RegexFinds(v, c.Id)),
                "exited" => effective is ContainerStatus.Exited && c.State.StartedAt is not null &&
                            values.Any(v => int.Parse(v) == c.State.ExitCode),
                "ancestor" => ancestorIds.Contains(c.ImageId) || values.Any(v => AncestorNames(v, c)),
                "label" => values.All(v => HasLabel(v, c)),   // Docker: every label filter must match
                "volume" => containerDir is not null && MountedVolume(containerDir, values),
                _ => false,
            };
            if (!any) return false;
        }
        return true;
    }

    /// <summary>label=KEY (any value) or label=KEY=VALUE.</summary>
    private static bool HasLabel(string value, ContainerRecord c)
    {
        int eq = value.IndexOf('=');
        string key = eq < 0 ? value : value[..eq];
        return c.Config.Labels.TryGetValue(key, out var v) && (eq < 0 || v == value[(eq + 1)..]);
    }

    /// <summary>volume=: a volume's name or a mount's destination in the container (Docker's rule).</summary>
    private static bool MountedVolume(string containerDir, IReadOnlyList<string> values)
    {
        try
        {
            return MiniRun.Volumes.ContainerMounts.Read(containerDir).Points
                .Any(p => values.Contains(p.Destination) || (p.Name.Length > 0 && values.Contains(p.Name)));
        }
        catch (ContainerException) { return false; }
    }

    /// <summary>Go's regexp.MatchString(pattern, s): an invalid pattern matches nothing.</summary>
    private static bool RegexFinds(string pattern, string s)
    {
        try { return Regex.IsMatch(s, pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)); }
        catch (ArgumentException) { return false; }
    }

    /// <summary>The ancestor value as the container's image was typed, or an ID prefix of its image.</summary>
    private static bool AncestorNames(string value, ContainerRecord c)
    {
        if (value == c.Image || value + ":latest" == c.Image || value == c.Image + ":latest") return true;
        string hex = value.StartsWith("sha256:", StringComparison.Ordinal) ? value[7..] : value;
        return hex.Length >= 12 && c.ImageId.StartsWith("sha256:" + hex, StringComparison.Ordinal);
    }
}
