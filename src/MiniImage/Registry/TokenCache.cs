// TokenCache: bearer tokens from token endpoints, kept per (realm, service, scope) until they expire.
//
// Why: every manifest and blob request of a pull needs a token; asking the token server once per
// request would double the round trips and hit Docker Hub's rate limits. A token is reused until
// issued_at + expires_in, minus a safety margin so it does not expire in flight.
// Follows: distribution token auth spec (spec/auth/token.md: expires_in defaults to 60 s,
// issued_at is RFC 3339).
namespace MiniImage.Registry;

internal sealed class TokenCache
{
    /// <summary>The token endpoint's default lifetime when expires_in is absent.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan MaxMargin = TimeSpan.FromSeconds(10);

    private readonly record struct Key(string Realm, string Service, string Scope);
    private readonly record struct Entry(string Token, DateTimeOffset ValidUntil);

    private readonly Dictionary<Key, Entry> _entries = new();
    private readonly Lock _lock = new();

    public string? Get(string realm, string? service, string scope, DateTimeOffset now)
    {
        lock (_lock)
            return _entries.TryGetValue(new Key(realm, service ?? "", scope), out var e) && now < e.ValidUntil ? e.Token : null;
    }

    /// <summary>Stores a token; valid until issuedAt + lifetime minus a margin (a tenth of the lifetime, at most 10 s).</summary>
    public void Put(string realm, string? service, string scope, string token, DateTimeOffset issuedAt, TimeSpan lifetime)
    {
        if (lifetime <= TimeSpan.Zero) lifetime = DefaultLifetime;
        TimeSpan margin = lifetime / 10 < MaxMargin ? lifetime / 10 : MaxMargin;
        lock (_lock)
            _entries[new Key(realm, service ?? "", scope)] = new Entry(token, issuedAt + lifetime - margin);
    }

    /// <summary>Drops the entry if it still holds `token` (the registry refused it).</summary>
    public void Invalidate(string realm, string? service, string scope, string token)
    {
        var key = new Key(realm, service ?? "", scope);
        lock (_lock)
            if (_entries.TryGetValue(key, out var e) && e.Token == token) _entries.Remove(key);
    }
}
