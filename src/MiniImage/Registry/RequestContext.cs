// RequestContext: what one registry operation is about - which registry and repository, what it
// fetches, for messages and for choosing credentials and token scopes - and what happened during
// authentication (were credentials sent?).
//
// Why: the same HTTP machinery (auth, redirects, retries) serves manifests, blobs and login; the
// error messages and the token scope depend on which one, and a 401 means "wrong password" only if a
// password was actually sent.
// Follows: distribution token scope grammar "repository:<name>:pull", "repository:<name>:pull,push"
// (spec/auth/scope.md); OCI distribution-spec v1.1 "Mounting a blob from another repository".
namespace MiniImage.Registry;

internal enum RequestKind { Manifest, Blob, Login, PushBlob, PushManifest }

internal sealed class RequestContext
{
    /// <summary>Registry as named in the reference or by the user ("docker.io", "localhost:5000"): the credential key.</summary>
    public required string Domain { get; init; }
    /// <summary>scheme://host:port of the registry's API; Authorization goes only here.</summary>
    public required Uri Origin { get; init; }
    /// <summary>Repository path ("library/alpine"), null for login.</summary>
    public string? Repository { get; init; }
    /// <summary>The repository as Docker shows it ("alpine", "localhost:5000/x").</summary>
    public string? FamiliarName { get; init; }
    /// <summary>What is fetched, as shown in messages: "alpine:latest", "alpine@sha256:..", a blob digest.</summary>
    public required string Subject { get; init; }
    public required RequestKind Kind { get; init; }
    /// <summary>Credentials given for this call (login) instead of the store's; never cached tokens then.</summary>
    public Credential? ExplicitCredential { get; init; }

    /// <summary>For a cross-repository mount: the repository the blob is mounted from (needs pull on it).</summary>
    public string? MountFrom { get; init; }

    public bool IsPush => Kind is RequestKind.PushBlob or RequestKind.PushManifest;

    /// <summary>Set when a request or token request carried a user name and password.</summary>
    public bool CredentialsSent { get; set; }
    /// <summary>Set when the registry asked for Basic auth.</summary>
    public bool BasicChallenged { get; set; }

    /// <summary>"pull alpine:latest", "pull alpine blob sha256:ab12..", "login localhost:5000".</summary>
    public string Operation => Kind switch
    {
        RequestKind.Manifest => $"pull {Subject}",
        RequestKind.Blob => $"pull {FamiliarName} blob {Subject}",
        RequestKind.PushBlob => $"push {FamiliarName} blob {Subject}",
        RequestKind.PushManifest => $"push {Subject}",
        _ => $"login {Domain}",
    };

    /// <summary>The token scope the request needs: pull; pull,push for a push; plus pull on the mount source.</summary>
    public string DefaultScope =>
        !IsPush ? $"repository:{Repository}:pull"
        : MountFrom is null ? $"repository:{Repository}:pull,push"
        : $"repository:{Repository}:pull,push repository:{MountFrom}:pull";
}
