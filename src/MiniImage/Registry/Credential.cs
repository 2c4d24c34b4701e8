// Credential and ICredentialStore: a user name and secret for one registry, and where they are kept.
//
// Why: `minirun login` saves credentials, the registry client reads them for basic auth and for
// the token endpoint, and the tests substitute an in-memory store.
// Follows: Docker's credential model (config.json "auths"; keys are registry host[:port], Docker
// Hub's is "https://index.docker.io/v1/").
namespace MiniImage.Registry;

/// <summary>A user name and password (or access token) for one registry.</summary>
public sealed record Credential(string Username, string Secret)
{
    // Keep the secret out of logs and exception messages that print the record.
    public override string ToString() => $"Credential {{ Username = {Username}, Secret = *** }}";
}

public interface ICredentialStore
{
    /// <summary>The credential for a registry ("docker.io", "localhost:5000"), or null.</summary>
    Credential? Get(string registry);

    void Save(string registry, Credential credential);

    /// <summary>Forgets the registry's credential; false if there was none.</summary>
    bool Remove(string registry);

    /// <summary>When credentials for the registry may be kept by an external credential helper that
    /// MiniRun cannot use, a short description of it (for error messages); null otherwise.</summary>
    string? UnsupportedHelperFor(string registry) => null;
}
