// RegistryClient: the HTTP client for image registries (OCI distribution API v2): fetches manifests
// and blobs for a pull, and checks credentials for `minirun login`.
//
// Why: this is MiniRun's only network code. It keeps the security rules in one place: HTTPS except
// for loopback and registries the user marked insecure, credentials only to the registry's own
// origin, digests checked for manifests fetched by digest. Auth, retries and redirects are in
// RegistryClient.Auth.cs and RegistryClient.Transport.cs. Only System.Net.Http, so it runs under
// NativeAOT.
// Follows: OCI distribution-spec v1.1 ("Pulling manifests": GET /v2/<name>/manifests/<reference>
// with Accept; "Pulling blobs": GET /v2/<name>/blobs/<digest>, Range -> 206; "API version check":
// GET /v2/); RFC 9110 section 14 (Range requests).
using System.Net;
using System.Net.Http.Headers;
using MiniImage.Oci;
using MiniImage.Reference;

namespace MiniImage.Registry;

public sealed partial class RegistryClient : IRegistrySource, IDisposable
{
    private const int MaxManifestBytes = 4 * 1024 * 1024;
    private const int MaxErrorBodyBytes = 64 * 1024;

    private readonly RegistryOptions _options;
    private readonly HttpMessageInvoker _invoker;

    public RegistryClient(RegistryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        HttpMessageHandler handler = options.Handler ?? new SocketsHttpHandler
        {
            AllowAutoRedirect = false,                          // redirects are followed by hand (credentials stay home)
            AutomaticDecompression = DecompressionMethods.None, // layers are compressed blobs; their digest is of the bytes sent
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        _invoker = new HttpMessageInvoker(handler, disposeHandler: options.Handler is null);
    }

    public RegistryOptions Options => _options;

    /// <summary>"https://registry-1.docker.io" for docker.io; http:// only for localhost, 127.0.0.0/8, ::1 and InsecureRegistries.</summary>
    public Uri BaseUri(string registryDomain) => RegistryHosts.BaseUri(registryDomain, _options.InsecureRegistries);

    public async Task<FetchedManifest> GetManifestAsync(ImageReference image, string tagOrDigest, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(image);
        bool byDigest = tagOrDigest.Contains(':');
        string subject = image.FamiliarName + (byDigest ? "@" : ":") + tagOrDigest;
        Digest? expected = null;
        if (byDigest)
        {
            if (!Digest.TryParse(tagOrDigest, out var d, out string derr))
                throw new RegistryException($"pull {subject}: invalid digest: {derr}");
            expected = d;
        }
        else if (ImageReference.ValidateTag(tagOrDigest) is { } terr)
            throw new RegistryException($"pull {subject}: invalid tag: {terr}");

        var ctx = new RequestContext
        {
            Domain = image.Domain, Origin = BaseUri(image.Domain), Repository = image.Path,
            FamiliarName = image.FamiliarName, Subject = subject, Kind = RequestKind.Manifest,
        };
        var uri = new Uri(ctx.Origin, $"/v2/{image.Path}/manifests/{tagOrDigest}");
        using var response = await GetAsync(ctx, uri, request =>
        {
            foreach (string type in ManifestFormat.Accepted) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }, cancel).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw await ErrorAsync(ctx, response, cancel).ConfigureAwait(false);

        byte[] body;
        try
        {
            body = await ReadLimitedAsync(response.Content, MaxManifestBytes, ctx.Operation, cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new RegistryException($"{ctx.Operation}: reading the manifest from {uri}: {RegistryErrors.OneLine(e.Message)}", inner: e);
        }

        string mediaType = ManifestFormat.Determine(subject, response.Content.Headers.ContentType?.MediaType, body);
        Digest computed = Digest.Compute(body);
        if (expected is { } want && want != computed)
            throw new RegistryException($"pull {subject}: manifest digest mismatch: expected {want}, got {computed}");
        if (response.Headers.NonValidated.TryGetValues("Docker-Content-Digest", out var values)
            && Digest.TryParse(values.FirstOrDefault()?.Trim(), out var announced) && announced != computed)
            throw new RegistryException($"pull {subject}: the registry's Docker-Content-Digest {announced} does not match the manifest it sent ({computed})");
        return new FetchedManifest(body, mediaType, computed);
    }

    public async Task<BlobStream> OpenBlobAsync(ImageReference image, Digest digest, long offset, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var ctx = new RequestContext
        {
            Domain = image.Domain, Origin = BaseUri(image.Domain), Repository = image.Path,
            FamiliarName = image.FamiliarName, Subject = digest.ToString(), Kind = RequestKind.Blob,
        };
        var uri = new Uri(ctx.Origin, $"/v2/{image.Path}/blobs/{digest}");
        var response = await GetAsync(ctx, uri,
            offset > 0 ? request => request.Headers.Range = new RangeHeaderValue(offset, null) : null,
            cancel).ConfigureAwait(false);
        try
        {
            int status = (int)response.StatusCode;
            if (status == 206)
            {
                long? from = response.Content.Headers.ContentRange?.From;
                if (from != offset)
                    throw new RegistryException($"{ctx.Operation}: asked for bytes from {offset}, the registry sent a range starting at {from?.ToString() ?? "(no Content-Range)"}", status);
            }
            else if (status == 416)
                throw new RegistryException($"{ctx.Operation}: the registry refused the range bytes={offset}- (HTTP 416)", status);
            else if (status != 200)
                throw await ErrorAsync(ctx, response, cancel).ConfigureAwait(false);

            Stream content = await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false);
            return new BlobStream(content, response.Content.Headers.ContentLength, isPartial: status == 206);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Verifies credentials against GET /v2/ of `registry` (host[:port], "docker.io" means Docker Hub)
    /// for `minirun login`. Throws RegistryException ("unauthorized: incorrect username or password") when
    /// they are refused. Saving them is the caller's job (Options.Credentials.Save).</summary>
    public async Task LoginAsync(string registry, string username, string password, CancellationToken cancel)
    {
        string domain = RegistryHosts.IsDockerHub(registry) ? RegistryHosts.DockerHub : RegistryHosts.Normalize(registry);
        if (string.IsNullOrEmpty(username)) throw new RegistryException($"login {domain}: empty user name");
        var ctx = new RequestContext
        {
            Domain = domain, Origin = BaseUri(domain), Subject = domain, Kind = RequestKind.Login,
            ExplicitCredential = new Credential(username, password),
        };
        using var response = await GetAsync(ctx, new Uri(ctx.Origin, "/v2/"), null, cancel).ConfigureAwait(false);
        if (response.IsSuccessStatusCode) return;
        if (response.StatusCode == HttpStatusCode.Unauthorized && !ctx.CredentialsSent)
            throw new RegistryException($"login {domain}: the registry refused access but sent no usable WWW-Authenticate challenge", 401, "UNAUTHORIZED");
        throw await ErrorAsync(ctx, response, cancel).ConfigureAwait(false);
    }

    private async Task<RegistryException> ErrorAsync(RequestContext ctx, HttpResponseMessage response, CancellationToken cancel)
    {
        byte[] body;
        try
        {
            body = await ReadLimitedAsync(response.Content, MaxErrorBodyBytes, ctx.Operation, cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or RegistryException)
        {
            body = [];
        }
        string? helper = ctx.CredentialsSent ? null : _options.Credentials?.UnsupportedHelperFor(ctx.Domain);
        return RegistryErrors.FromResponse(ctx, response, body, helper);
    }

    public void Dispose()
    {
        _invoker.Dispose();
        _tokenLock.Dispose();
    }
}
