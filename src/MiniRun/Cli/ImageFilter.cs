// ImageFilter: `images --filter KEY=VALUE`, Docker's keys and matching rules.
//
// Why: the course lists images by name pattern and cleans up untagged ones (`images -f
// dangling=true`, `images -f reference='busy*'`). As in Docker: several values of one key are
// alternatives (OR) for reference and dangling; label values must all match (AND); before and
// since compare the creation time with the image they name (each value must hold); different keys
// must all match. reference is a glob (path.Match: `*` and `?` stop at `/`, `[...]` classes)
// matched against `name:tag` and against `name`; an image without a tag matches no reference.
// Unknown keys and a dangling value other than true/false are the daemon's `invalid filter ...`;
// before/since name an image that must exist (`No such image: x:latest`).
//
// Follows: docker-images(1) "Filtering"; moby daemon/images/images.go (accepted keys dangling,
// label, before, since, reference, until; invalidFilter's text with the values as Go prints a
// []string), distribution/reference FamiliarMatch.
using System.Text;
using System.Text.RegularExpressions;
using MiniImage.Store;

namespace MiniRun.Cli;

public sealed class ImageFilter
{
    public static readonly string[] Keys = ["dangling", "label", "before", "since", "reference", "until"];

    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public bool IsEmpty => _values.Count == 0;

    private IReadOnlyList<string> Values(string key) => _values.TryGetValue(key, out var v) ? v : [];

    /// <summary>Parses the --filter values; throws the daemon's error (exit 1) for unknown keys and bad values.</summary>
    public static ImageFilter Parse(IEnumerable<string> filters)
    {
        var f = new ImageFilter();
        foreach (string raw in filters)
        {
            if (FilterOption.FormatError(raw) is { } bad) throw new CliError(bad, 125);   // the option refused it already; callers without one
            int eq = raw.IndexOf('=');
            string key = raw[..eq].Trim().ToLowerInvariant(), value = raw[(eq + 1)..].Trim();
            if (!Keys.Contains(key)) throw CliError.Daemon($"invalid filter '{key}'");
            if (!f._values.TryGetValue(key, out var list)) f._values[key] = list = new();
            if (!list.Contains(value)) list.Add(value);
        }
        var dangling = f.Values("dangling");
        if (dangling.Count > 0 && !dangling.Contains("true") && !dangling.Contains("false"))
            throw CliError.Daemon($"invalid filter 'dangling=[{string.Join(' ', dangling)}]'");
        return f;
    }

    /// <summary>The rows (one per tag) that pass every key.</summary>
    public IEnumerable<ImageSummary> Apply(IEnumerable<ImageSummary> rows, ImageStore store, DateTimeOffset now)
    {
        if (IsEmpty) return rows;
        var list = rows.ToList();
        var before = Values("before").Select(v => Created(store, v)).ToList();
        var since = Values("since").Select(v => Created(store, v)).ToList();
        var until = Values("until").Select(v => LifecycleLogs.ParseTime(v, now, "until")).ToList();
        var references = Values("reference").Select(Glob).ToList();
        var dangling = Values("dangling");
        bool? danglingOnly = dangling.Count == 0 ? null : dangling.Contains("true");
        var labels = Values("label");
        var labelCache = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        IReadOnlyDictionary<string, string> LabelsOf(ImageSummary i)
        {
            if (!labelCache.TryGetValue(i.ImageId, out var l))
                labelCache[i.ImageId] = l = store.ReadConfig(i).Config?.Labels ?? new Dictionary<string, string>();
            return l;
        }
        return list.Where(i =>
            (danglingOnly is not bool d || i.IsDangling == d)
            && (references.Count == 0 || !i.IsDangling && references.Any(r => r.IsMatch($"{i.Repository}:{i.Tag}") || r.IsMatch(i.Repository)))
            && before.All(t => i.Created is { } c && c < t)
            && since.All(t => i.Created is { } c && c > t)
            && until.All(t => i.Created is { } c && c < t)
            && labels.All(l => LabelMatches(LabelsOf(i), l)));
    }

    /// <summary>label=KEY (present) or label=KEY=VALUE (equal).</summary>
    private static bool LabelMatches(IReadOnlyDictionary<string, string> labels, string filter)
    {
        int eq = filter.IndexOf('=');
        if (eq < 0) return labels.ContainsKey(filter);
        return labels.TryGetValue(filter[..eq], out var v) && v == filter[(eq + 1)..];
    }

    private static DateTimeOffset Created(ImageStore store, string reference)
    {
        var image = store.Resolve(reference) ?? throw CliError.Daemon($"No such image: {ImageStore.WithDefaultTag(reference)}");
        return image.Created ?? DateTimeOffset.MinValue;
    }

    /// <summary>Go's path.Match pattern as a regular expression over the whole name.</summary>
    public static Regex Glob(string pattern)
    {
        var sb = new StringBuilder("^");
        for (int i = 0; i < pattern.Length; i++)
        {
            char ch = pattern[i];
            switch (ch)
            {
                case '*': sb.Append("[^/]*"); break;
                case '?': sb.Append("[^/]"); break;
                case '\\' when i + 1 < pattern.Length: sb.Append(Regex.Escape(pattern[++i].ToString())); break;
                case '[':
                    int close = pattern.IndexOf(']', i + 2);
                    if (close < 0) throw CliError.Daemon("syntax error in pattern");   // Go's path.ErrBadPattern
                    string body = pattern[(i + 1)..close];
                    bool negate = body.StartsWith('^');
                    if (negate) body = body[1..];
                    sb.Append(negate ? "[^/" : "[").Append(body.Replace("\\", "\\\\").Replace("[", "\\[")).Append(']');
                    i = close;
                    break;
                default: sb.Append(Regex.Escape(ch.ToString())); break;
            }
        }
        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
