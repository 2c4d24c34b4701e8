// AuthChallenge: parses WWW-Authenticate headers into challenges (scheme + parameters), e.g.
//   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"
//   Basic realm="Registry Realm"
//
// Why: a registry answers 401 with one of these; the client must read realm, service and scope
// exactly, including quoted values that contain commas ("repository:x:pull,push") or escaped
// quotes, several challenges in one header, and several headers.
// Follows: RFC 9110 section 11.6.1 (WWW-Authenticate; auth-param, quoted-string, token68),
// RFC 6750 section 3 (Bearer error="invalid_token"), distribution token auth spec (spec/auth/token.md).
using System.Text;

namespace MiniImage.Registry;

public sealed class AuthChallenge
{
    /// <summary>The scheme in lower case: "bearer", "basic", ...</summary>
    public string Scheme { get; }
    /// <summary>Parameters by lower-case name.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; }

    private AuthChallenge(string scheme, Dictionary<string, string> parameters)
    {
        Scheme = scheme;
        Parameters = parameters;
    }

    public string? Realm => Parameters.GetValueOrDefault("realm");
    public string? Service => Parameters.GetValueOrDefault("service");
    /// <summary>The scope value; several scopes are separated by spaces.</summary>
    public string? Scope => Parameters.GetValueOrDefault("scope");
    public string? Error => Parameters.GetValueOrDefault("error");
    public bool IsBearer => Scheme == "bearer";
    public bool IsBasic => Scheme == "basic";

    /// <summary>Every challenge in every header value, in order. Never throws; malformed parts are skipped.</summary>
    public static IReadOnlyList<AuthChallenge> Parse(IEnumerable<string> headerValues)
    {
        var result = new List<AuthChallenge>();
        foreach (string value in headerValues) ParseInto(value, result);
        return result;
    }

    public static IReadOnlyList<AuthChallenge> Parse(string headerValue) => Parse([headerValue]);

    private static void ParseInto(string s, List<AuthChallenge> result)
    {
        Dictionary<string, string>? current = null;
        int i = 0;
        while (true)
        {
            while (i < s.Length && (s[i] is ',' or ' ' or '\t')) i++;
            if (i >= s.Length) return;

            string token = ReadToken(s, ref i);
            if (token.Length == 0)
            {
                // "=value" without a name, or a stray quote: skip it and its value
                i++;
                SkipSpaces(s, ref i);
                if (i < s.Length && s[i] == '"') ReadQuoted(s, ref i); else ReadToken(s, ref i);
                continue;
            }
            int afterToken = i;
            SkipSpaces(s, ref i);

            if (i < s.Length && s[i] == '=' && current is not null)
            {
                i++;
                SkipSpaces(s, ref i);
                if (i < s.Length && s[i] == '"')
                    current[token.ToLowerInvariant()] = ReadQuoted(s, ref i);
                else if (i < s.Length && s[i] is not ('=' or ','))
                    current[token.ToLowerInvariant()] = ReadToken(s, ref i);
                else
                    while (i < s.Length && s[i] == '=') i++;   // token68 padding ("abc=="): not a parameter
                continue;
            }
            if (i < s.Length && s[i] == '=')
            {
                // a parameter before any scheme: malformed, skip its value
                i++;
                SkipSpaces(s, ref i);
                if (i < s.Length && s[i] == '"') ReadQuoted(s, ref i); else ReadToken(s, ref i);
                continue;
            }

            // A new challenge: the token is its scheme.
            i = afterToken;
            current = new Dictionary<string, string>(StringComparer.Ordinal);
            result.Add(new AuthChallenge(token.ToLowerInvariant(), current));
        }
    }

    private static void SkipSpaces(string s, ref int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t') i++;
    }

    private static string ReadToken(string s, ref int i)
    {
        int start = i;
        while (i < s.Length && s[i] is not (' ' or '\t' or ',' or '=' or '"')) i++;
        return s[start..i];
    }

    private static string ReadQuoted(string s, ref int i)
    {
        var sb = new StringBuilder();
        i++;   // opening quote
        while (i < s.Length && s[i] != '"')
        {
            if (s[i] == '\\' && i + 1 < s.Length) i++;
            sb.Append(s[i]);
            i++;
        }
        if (i < s.Length) i++;   // closing quote (a missing one ends the value at the end of the header)
        return sb.ToString();
    }
}
