// RegistryHosts: maps a registry name from an image reference ("docker.io", "localhost:5000",
// "ghcr.io") to the base URI the HTTP API lives at, and decides HTTPS or plain HTTP.
//
// Why: Docker Hub's API is not at docker.io but at registry-1.docker.io, and credentials for it
// are filed under "https://index.docker.io/v1/"; plain HTTP must stay limited to loopback and the
// registries the user explicitly trusts, as in Docker (a token sent over HTTP can be stolen).
// Follows: Docker's registry service defaults (IndexServer, DefaultRegistryHost), the
// insecure-registries rule of dockerd(8), OCI distribution-spec "/v2/" endpoints.
using System.Net;

namespace MiniImage.Registry;

public static class RegistryHosts
{
    public const string DockerHub = "docker.io";
    public const string DockerHubApiHost = "registry-1.docker.io";
    /// <summary>The key `docker login` uses for Docker Hub in ~/.docker/config.json.</summary>
    public const string DockerHubConfigKey = "https://index.docker.io/v1/";

    /// <summary>"docker.io", "index.docker.io", "registry-1.docker.io" and Docker's config key all mean Docker Hub.</summary>
    public static bool IsDockerHub(string registry) =>
        Normalize(registry) == DockerHub;

    /// <summary>A config.json key or registry name reduced to host[:port] in lower case:
    /// "https://index.docker.io/v1/" -> "docker.io", "http://localhost:5000/" -> "localhost:5000".</summary>
    public static string Normalize(string registryOrKey)
    {
        string s = registryOrKey.Trim();
        int scheme = s.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) s = s[(scheme + 3)..];
        int slash = s.IndexOf('/');
        if (slash >= 0) s = s[..slash];
        s = s.ToLowerInvariant();
        return s is "index.docker.io" or "registry-1.docker.io" or "registry.hub.docker.com" ? DockerHub : s;
    }

    /// <summary>The host without the port: "localhost:5000" -> "localhost", "[::1]:5000" -> "[::1]".</summary>
    public static string HostOf(string domain)
    {
        if (domain.StartsWith('['))
        {
            int close = domain.IndexOf(']');
            return close < 0 ? domain : domain[..(close + 1)];
        }
        int colon = domain.IndexOf(':');
        return colon < 0 ? domain : domain[..colon];
    }

    /// <summary>True for localhost, 127.0.0.0/8 and [::1] (with or without a port).</summary>
    public static bool IsLoopback(string domain)
    {
        string host = HostOf(domain).ToLowerInvariant();
        if (host == "localhost") return true;
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip)
               && (host.Contains(':') || host.Split('.').Length == 4);   // "127.1" is not an address we accept
    }

    /// <summary>https://HOST[:PORT], or http:// for loopback and the insecure list; Docker Hub maps to
    /// https://registry-1.docker.io.</summary>
    public static Uri BaseUri(string registryDomain, IReadOnlyCollection<string> insecureRegistries)
    {
        string domain = registryDomain.Trim().ToLowerInvariant();
        if (domain.Length == 0 || domain.Contains('/') || domain.Contains('@'))
            throw new RegistryException($"registry {GoQuote.Quote(registryDomain)}: expected host or host:port");
        if (IsDockerHub(domain)) return new Uri("https://" + DockerHubApiHost);

        bool plain = IsLoopback(domain) || insecureRegistries.Any(entry =>
        {
            string e = Normalize(entry);
            return e == domain || (!e.Contains(':') || e.EndsWith(']')) && e == HostOf(domain);
        });
        if (!Uri.TryCreate((plain ? "http://" : "https://") + domain, UriKind.Absolute, out var uri))
            throw new RegistryException($"registry {GoQuote.Quote(registryDomain)}: not a valid host[:port]");
        return uri;
    }

    /// <summary>Same scheme, host and port: the only case where Authorization may be sent.</summary>
    public static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;
}
