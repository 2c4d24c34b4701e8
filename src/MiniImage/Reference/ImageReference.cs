// ImageReference: parses, validates and normalises image references: name[:tag][@digest].
//
// Why: users type "busybox", the store keys images by "docker.io/library/busybox:latest", and
// `minirun images` shows "busybox" again; all three forms must map onto each other, and a bad
// reference must be refused with an error naming the bad part instead of a confusing lookup miss.
//
// Grammar (the Docker/distribution reference grammar):
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [ domain "/" ] path-component { "/" path-component }      (at most 255 chars)
//   domain     := host [ ":" port ]      host: dns labels [a-zA-Z0-9-] joined by ".", or [ipv6]
//   path-component := [a-z0-9]+ { separator [a-z0-9]+ }    separator := "." | "_" | "__" | "-"+
//   tag        := [\w][\w.-]{0,127}
//   digest     := sha256:<64 hex> (MiniImage supports sha256 only)
// The first name component is a domain only if another component follows and it contains "." or
// ":" or is "localhost" (as in Docker). Normalisation: no domain -> docker.io; docker.io with a
// single path component -> "library/<name>"; "index.docker.io" -> docker.io; neither tag nor
// digest -> tag "latest". The familiar form drops "docker.io/" and "library/" again.
// Follows: github.com/distribution/reference grammar (reference.go doc comment), docker's
// normalisation rules (ParseNormalizedNamed / FamiliarName).
using MiniImage.Oci;

namespace MiniImage.Reference;

public sealed record ImageReference
{
    public const string DefaultDomain = "docker.io";
    public const string DefaultTag = "latest";
    private const string OfficialPrefix = "library/";
    private const int MaxNameLength = 255;
    private const int MaxTagLength = 128;

    /// <summary>Registry host[:port], e.g. "docker.io", "localhost:5000".</summary>
    public string Domain { get; }

    /// <summary>Repository path inside the registry, e.g. "library/busybox".</summary>
    public string Path { get; }

    /// <summary>The tag; null only when the reference names a digest and no tag.</summary>
    public string? Tag { get; }

    public Digest? Digest { get; }

    private ImageReference(string domain, string path, string? tag, Digest? digest)
    {
        Domain = domain; Path = path; Tag = tag; Digest = digest;
    }

    /// <summary>"docker.io/library/busybox".</summary>
    public string Name => $"{Domain}/{Path}";

    /// <summary>"busybox", "user/app", "localhost:5000/x": the name as docker shows it.</summary>
    public string FamiliarName
    {
        get
        {
            if (Domain != DefaultDomain) return Name;
            if (Path.StartsWith(OfficialPrefix, StringComparison.Ordinal) && Path.IndexOf('/', OfficialPrefix.Length) < 0)
                return Path[OfficialPrefix.Length..];
            // "docker.io/a.b/c" without its registry would read as registry "a.b" (found by the
            // round-trip property test): keep the registry when the first component looks like one.
            int slash = Path.IndexOf('/');
            string first = slash < 0 ? Path : Path[..slash];
            return slash >= 0 && (first.Contains('.') || first == "localhost") ? Name : Path;
        }
    }

    /// <summary>Full normalised form: "docker.io/library/busybox:latest" (plus "@sha256:..." if given).</summary>
    public override string ToString() =>
        Name + (Tag is null ? "" : ":" + Tag) + (Digest is { } d ? "@" + d : "");

    /// <summary>Familiar form: "busybox:latest", "user/app:1@sha256:...".</summary>
    public string ToFamiliarString() =>
        FamiliarName + (Tag is null ? "" : ":" + Tag) + (Digest is { } d ? "@" + d : "");

    /// <summary>The same name with another tag and no digest.</summary>
    public ImageReference WithTag(string tag)
    {
        if (ValidateTag(tag) is { } error) throw new MiniImageException($"invalid tag {GoQuote.Quote(tag)}: {error}");
        return new ImageReference(Domain, Path, tag, null);
    }

    public static ImageReference Parse(string reference)
    {
        if (TryParse(reference, out var r, out var error)) return r;
        throw new MiniImageException($"invalid reference {GoQuote.Quote(reference)}: {error}");
    }

    public static bool TryParse(string? reference, out ImageReference result) => TryParse(reference, out result, out _);

    public static bool TryParse(string? reference, out ImageReference result, out string error)
    {
        result = null!;
        if (string.IsNullOrEmpty(reference)) { error = "empty reference"; return false; }

        string rest = reference;
        Digest? digest = null;
        int at = rest.IndexOf('@');
        if (at >= 0)
        {
            string d = rest[(at + 1)..];
            if (!Oci.Digest.TryParse(d, out var parsed, out var derr)) { error = $"digest {GoQuote.Quote(d)}: {derr}"; return false; }
            digest = parsed;
            rest = rest[..at];
        }

        string? tag = null;
        int colon = rest.LastIndexOf(':');
        if (colon >= 0 && colon > rest.LastIndexOf('/'))
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (ValidateTag(tag) is { } terr) { error = $"tag {GoQuote.Quote(tag)}: {terr}"; return false; }
        }

        if (rest.Length == 0) { error = "missing repository name"; return false; }
        if (rest.Length > MaxNameLength) { error = $"repository name longer than {MaxNameLength} characters"; return false; }

        string domain = DefaultDomain;
        string path = rest;
        int slash = rest.IndexOf('/');
        if (slash >= 0)
        {
            string first = rest[..slash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost")
            {
                if (ValidateDomain(first) is { } derr2) { error = $"registry {GoQuote.Quote(first)}: {derr2}"; return false; }
                domain = first == "index.docker.io" ? DefaultDomain : first;
                path = rest[(slash + 1)..];
            }
        }

        foreach (string component in path.Split('/'))
            if (ValidatePathComponent(component) is { } perr)
            {
                error = $"repository name component {GoQuote.Quote(component)}: {perr}";
                return false;
            }

        if (domain == DefaultDomain && !path.Contains('/')) path = OfficialPrefix + path;
        if (tag is null && digest is null) tag = DefaultTag;
        result = new ImageReference(domain, path, tag, digest);
        error = "";
        return true;
    }

    /// <summary>Null if `tag` matches [\w][\w.-]{0,127}, else why not.</summary>
    public static string? ValidateTag(string tag)
    {
        if (tag.Length == 0) return "empty tag";
        if (tag.Length > MaxTagLength) return $"longer than {MaxTagLength} characters";
        if (!IsWord(tag[0])) return "must start with a letter, digit or '_'";
        foreach (char c in tag)
            if (!(IsWord(c) || c == '.' || c == '-')) return $"character {GoQuote.QuoteRune(c)} not allowed (only letters, digits, '_', '.', '-')";
        return null;
    }

    private static bool IsWord(char c) => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_';

    private static bool IsLowerAlnum(char c) => c is >= 'a' and <= 'z' or >= '0' and <= '9';

    /// <summary>Null if `c` is [a-z0-9]+ joined by ".", "_", "__" or "-"+, else why not.</summary>
    private static string? ValidatePathComponent(string c)
    {
        if (c.Length == 0) return "empty (double or trailing '/')";
        foreach (char ch in c)
        {
            if (ch is >= 'A' and <= 'Z') return "must be lowercase";
            if (!(IsLowerAlnum(ch) || ch is '.' or '_' or '-')) return $"character {GoQuote.QuoteRune(ch)} not allowed";
        }
        if (!IsLowerAlnum(c[0]) || !IsLowerAlnum(c[^1])) return "must start and end with a lowercase letter or digit";
        int i = 0;
        while (i < c.Length)
        {
            if (IsLowerAlnum(c[i])) { i++; continue; }
            int start = i;
            while (i < c.Length && !IsLowerAlnum(c[i])) i++;
            string sep = c[start..i];
            bool ok = sep is "." or "_" or "__" || sep.All(ch => ch == '-');
            if (!ok) return $"separator {GoQuote.Quote(sep)} not allowed (use '.', '_', '__' or '-')";
        }
        return null;
    }

    /// <summary>Null if `d` is host[:port] (dns name, IPv4, or [IPv6]), else why not.</summary>
    private static string? ValidateDomain(string d)
    {
        string host = d;
        string? port = null;
        if (d.StartsWith('['))
        {
            int close = d.IndexOf(']');
            if (close < 0) return "unterminated '[' in IPv6 address";
            string ip6 = d[1..close];
            if (ip6.Length == 0 || !ip6.All(ch => Uri.IsHexDigit(ch) || ch == ':' || ch == '.'))
                return $"invalid IPv6 address {GoQuote.Quote(ip6)}";
            string after = d[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':') return "unexpected characters after ']'";
                port = after[1..];
            }
        }
        else
        {
            int colon = d.IndexOf(':');
            if (colon >= 0) { host = d[..colon]; port = d[(colon + 1)..]; }
            if (host.Length == 0) return "empty host";
            foreach (string label in host.Split('.'))
            {
                if (label.Length == 0) return "empty label in host name";
                if (!label.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '-')) return $"host label {GoQuote.Quote(label)} has characters other than letters, digits and '-'";
                if (label[0] == '-' || label[^1] == '-') return $"host label {GoQuote.Quote(label)} starts or ends with '-'";
            }
        }
        if (port is not null && (port.Length == 0 || !port.All(char.IsAsciiDigit)))
            return $"port {GoQuote.Quote(port)} is not a number";
        return null;
    }
}
