// RegistryTargets: what a registry or a user hands the client as text. "reference": an image
// reference (ImageReference.TryParse / Parse); "www-authenticate": 401 challenges (AuthChallenge.Parse),
// the input split into header values at newlines.
//
// Invariants: TryParse never throws and Parse throws only MiniImageException; a reference that
// parses formats (ToString, ToFamiliarString) to strings that parses to the same reference, and formats the same
// again; AuthChallenge.Parse never throws and every challenge has a lower-case scheme and
// lower-case parameter names.
// Follows: docs/fuzzing.md; distribution/reference grammar; RFC 9110 section 11.6.1.
using System.Text;
using MiniImage;
using MiniImage.Reference;
using MiniImage.Registry;

namespace MiniRun.Fuzz;

static class RegistryTargets
{
    public static void Reference(byte[] input)
    {
        string text = Encoding.UTF8.GetString(input);
        bool ok = ImageReference.TryParse(text, out var r, out string error);
        try
        {
            var p = ImageReference.Parse(text);
            if (!ok) throw new FuzzInvariantException($"reference: Parse accepted what TryParse refused ({error})");
            if (p != r) throw new FuzzInvariantException("reference: Parse and TryParse disagree");
        }
        catch (MiniImageException) when (!ok) { }
        if (!ok) return;
        string formatted = r.ToString();
        if (!ImageReference.TryParse(formatted, out var again, out string error2))
            throw new FuzzInvariantException($"reference: \"{formatted}\" (formatted) does not parse: {error2}");
        if (again != r || again.ToString() != formatted)
            throw new FuzzInvariantException($"reference: \"{formatted}\" does not parse back to the same reference");
        string familiar = r.ToFamiliarString();
        if (!ImageReference.TryParse(familiar, out var fromFamiliar, out _) || fromFamiliar != r)
            throw new FuzzInvariantException($"reference: familiar form \"{familiar}\" of \"{formatted}\" does not parse back to it");
    }

    public static void WwwAuthenticate(byte[] input)
    {
        string[] headers = Encoding.UTF8.GetString(input).Split('\n');
        foreach (var c in AuthChallenge.Parse(headers))
        {
            if (c.Scheme.Length == 0 || c.Scheme != c.Scheme.ToLowerInvariant())
                throw new FuzzInvariantException($"www-authenticate: scheme \"{c.Scheme}\"");
            foreach (var key in c.Parameters.Keys)
                if (key != key.ToLowerInvariant())
                    throw new FuzzInvariantException($"www-authenticate: parameter name \"{key}\" is not lower case");
            _ = (c.Realm, c.Service, c.Scope, c.Error, c.IsBearer, c.IsBasic);
        }
    }
}
