// RegistryClient push: the upload side of the distribution API, one HTTP exchange per method:
// does the repository have a blob (HEAD), mount it from another repository or open an upload
// session (POST), send a chunk (PATCH with Content-Range), ask how much a session holds (GET),
// close the session with the digest (PUT, with the whole blob for a monolithic upload), and PUT
// the manifest under a tag. The order, the chunking and what to do after a failure are the
// caller's (Push/BlobUploader.cs, Push/ImagePusher.cs).
//
// Why here: these requests need what pulls need - the token (now with the push scope, and pull on
// the source repository of a mount), Basic credentials, redirects that keep credentials home,
// one-line errors - and RegistryClient.Transport/Auth already do it. Every Location header is
// resolved against the URL of the request that returned it: the registry may answer relative
// ("/v2/x/blobs/uploads/<uuid>") or absolute ("http://host/v2/...?_state=..."), and each step
// must use the latest one (it carries the session's state). Requests with a body are sent once
// (no transport retry): a PATCH cut in the middle may have left bytes in the session, so only the
// caller, who can ask the session's offset, knows how to go on.
// Follows: OCI distribution-spec v1.1 "Pushing blobs" (POST /v2/<name>/blobs/uploads/, 202 +
// Location; monolithic PUT <location>?digest=; chunked PATCH with Content-Range "<start>-<end>"
// and Content-Length, 202 + Location + Range; 416 for an out-of-order chunk; GET <location> ->
// 204 + Range), "Mounting a blob from another repository" (POST ?mount=<digest>&from=<repo>: 201
// mounted, 202 upload session instead), "Pushing manifests" (PUT /v2/<name>/manifests/<tag> with
// the manifest's Content-Type, 201 + Docker-Content-Digest), "Checking if content exists" (HEAD).
using System.Net.Http.Headers;
using MiniImage.Oci;
using MiniImage.Reference;

namespace MiniImage.Registry;

/// <summary>The answer to POST .../blobs/uploads/: the blob was mounted (201), or an upload session opened at Location (202).</summary>
public sealed record UploadStart(bool Mounted, Uri? Location);

/// <summary>What an upload session holds: the next byte it expects, and the session URL to continue at.</summary>
public sealed record UploadStatus(long Offset, Uri Location);

public sealed partial class RegistryClient
{
    private const string OctetStream = "application/octet-stream";

    private RequestContext PushContext(ImageReference repository, RequestKind kind, string subject, string? mountFrom = null) => new()
    {
        Domain = repository.Domain, Origin = BaseUri(repository.Domain), Repository = repository.Path,
        FamiliarName = repository.FamiliarName, Subject = subject, Kind = kind, MountFrom = mountFrom,
    };

    /// <summary>HEAD /v2/&lt;name&gt;/blobs/&lt;digest&gt;: true when the repository already has the blob.</summary>
    public async Task<bool> BlobExistsAsync(ImageReference repository, Digest digest, CancellationToken cancel)
    {
        var ctx = PushContext(repository, RequestKind.PushBlob, digest.ToString());
        var uri = new Uri(ctx.Origin, $"/v2/{repository.Path}/blobs/{digest}");
        using var response = await SendAsync(ctx, HttpMethod.Head, uri, null, null, retry: true, cancel).ConfigureAwait(false);
        int status = (int)response.StatusCode;
        if (status == 200) return true;
        if (status == 404) return false;
        throw await ErrorAsync(ctx, response, cancel).ConfigureAwait(false);
    }

    /// <summary>POST /v2/&lt;name&gt;/blobs/uploads/, with ?mount=&lt;digest&gt;&amp;from=&lt;repository&gt; when
    /// <paramref name="mountFrom"/> is given: Mounted (201), or a new upload session (202).</summary>
    public async Task<UploadStart> StartUploadAsync(ImageReference repository, Digest digest, string? mountFrom, CancellationToken cancel)
    {
        var ctx = PushContext(repository, RequestKind.PushBlob, digest.ToString(), mountFrom);
        string query = mountFrom is null ? "" : $"?mount={Uri.EscapeDataString(digest.ToString())}&from={Uri.EscapeDataString(mountFrom)}";
        var uri = new Uri(ctx.Origin, $"/v2/{repository.Path}/blobs/uploads/{query}");
        using var response = await SendAsync(ctx, HttpMethod.Post, uri, null, EmptyBody, retry: true, cancel).ConfigureAwait(false);
        int status = (int)response.StatusCode;
        if (status == 201 && mountFrom is not null) return new UploadStart(true, null);
        if (status == 202) return new UploadStart(false, SessionLocation(ctx, response, uri));
        throw await ErrorAsync(ctx, response, cancel).ConfigureAwait(false);
    }

    /// <summary>PATCH one chunk, bytes [offset, offset+length) of the file at <paramref name="path"/>;
    /// returns the session's next Location. <paramref name="sent"/> gets the bytes of this chunk sent so far.</summary>
    public async Task<Uri> UploadChunkAsync(ImageReference repository, Digest digest, Uri location, string path, long offset, long length,
        Action<long>? sent, CancellationToken cancel)
    {
        var ctx = PushContext(repository, RequestKind.PushBlob, digest.ToString());
        string range = $"{offset}-{offset + length - 1}";
        using var response = await SendAsync(ctx, HttpMethod.Patch, location, null, () =>
        {
            var content = new FileRangeContent(path, offset, length, sent);
            content.Headers.ContentType = new MediaTypeHeaderValue(OctetStream);
            content.Headers.TryAddWithoutValidation("Content-Range", range);
            return content;
        }, retry: false, cancel).ConfigureAwait(false);
        int status = (int)response.StatusCode;
        if (status == 202) return SessionLocation(ctx, response, location);
        if (status == 416)
            throw new RegistryException($"{ctx.Operation}: the registry refused the chunk {range} (HTTP 416: not where its upload session stands)", status);
        throw await ErrorAsync(ctx, response, cancel).ConfigureAwait(false);
    }

    /// <summary>GET on the session: the offset it expects next (from its Range header "0-&lt;last&gt;"),
    /// or null when the session is gone or the answer has no usable Range.</summary>
    public async Task<UploadStatus?> UploadStatusAsync(ImageReference repository, Digest digest, Uri location, CancellationToken cancel)
    {
        var ctx = PushContext(repository, RequestKind.PushBlob, digest.ToString());
        using var response = await SendAsync(ctx, HttpMethod.Get, location, null, null, retry: true, cancel).ConfigureAwait(false);
        if ((int)response.StatusCode != 204) return null;
        if (!response.Headers.NonValidated.TryGetValues("Range", out var values)) return null;
        string range = values.FirstOrDefault()?.Trim() ?? "";
        if (range.StartsWith("bytes=", StringComparison.Ordinal)) range = range[6..];
        int dash = range.IndexOf('-');
        if (dash <= 0 || !long.TryParse(range[..dash], out long first) || first != 0 || !long.TryParse(range[(dash + 1)..], out long last))
            return null;
        // "0-0" is what the registry says for an empty session as well as for one byte: take the
        // safe reading (0); a wrong guess costs one 416 and a fresh session, never bad data.
        long offset = last <= 0 ? 0 : last + 1;
        return new UploadStatus(offset, response.Headers.Location is null ? location : SessionLocation(ctx, response, location));
    }

    /// <summary>PUT &lt;location&gt;?digest=&lt;digest&gt;: closes the session. With <paramref name="path"/>, the whole
    /// blob goes in this request (a monolithic upload); without, the session already holds every byte.</summary>
    public async Task CompleteUploadAsync(ImageReference repository, Digest digest, Uri location, string? path, long length,
        Action<long>? sent, CancellationToken cancel)
    {
        var ctx = PushContext(repository, RequestKind.PushBlob, digest.ToString());
        var builder = new UriBuilder(location);
        string digestParam = "digest=" + Uri.EscapeDataString(digest.ToString());
        string query = builder.Query.TrimStart('?');
        builder.Query = query.Length == 0 ? digestParam : query + "&" + digestParam;
        using var response = await SendAsync(ctx, HttpMethod.Put, builder.Uri, null, () =>
        {
            HttpContent content = path is null ? new ByteArrayContent([]) : new FileRangeContent(path, 0, length, sent);
            content.Headers.ContentType = new MediaTypeHeaderValue(OctetStream);
            return content;
        }, retry: false, cancel).ConfigureAwait(false);
        if ((int)response.StatusCode != 201) throw await ErrorAsync(ctx, response, cancel).ConfigureAwait(false);
        if (response.Headers.NonValidated.TryGetValues("Docker-Content-Digest", out var values)
            && Digest.TryParse(values.FirstOrDefault()?.Trim(), out var stored) && stored != digest)
            throw new RegistryException($"{ctx.Operation}: the registry stored the blob as {stored}, not {digest}");
    }

    /// <summary>PUT /v2/&lt;name&gt;/manifests/&lt;tag&gt; with the manifest's media type; returns the digest the
    /// registry names it by (checked against the bytes sent).</summary>
    public async Task<Digest> PutManifestAsync(ImageReference repository, string tag, byte[] manifest, string mediaType, CancellationToken cancel)
    {
        var ctx = PushContext(repository, RequestKind.PushManifest, $"{repository.FamiliarName}:{tag}");
        var uri = new Uri(ctx.Origin, $"/v2/{repository.Path}/manifests/{tag}");
        Digest digest = Digest.Compute(manifest);
        using var response = await SendAsync(ctx, HttpMethod.Put, uri, null, () =>
        {
            var content = new ByteArrayContent(manifest);
            content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return content;
        }, retry: true, cancel).ConfigureAwait(false);   // a PUT of the same bytes is idempotent
        if ((int)response.StatusCode != 201) throw await ErrorAsync(ctx, response, cancel).ConfigureAwait(false);
        if (response.Headers.NonValidated.TryGetValues("Docker-Content-Digest", out var values)
            && Digest.TryParse(values.FirstOrDefault()?.Trim(), out var stored) && stored != digest)
            throw new RegistryException($"{ctx.Operation}: the registry names the manifest {stored}, but its bytes are {digest}");
        return digest;
    }

    private static HttpContent EmptyBody() => new ByteArrayContent([]);

    /// <summary>The Location of an upload answer, resolved against the request's URL (relative or absolute).</summary>
    private static Uri SessionLocation(RequestContext ctx, HttpResponseMessage response, Uri sent)
    {
        Uri? location = response.Headers.Location;
        Uri? request = response.RequestMessage?.RequestUri ?? sent;
        if (location is null || request is null)
            throw new RegistryException($"{ctx.Operation}: HTTP {(int)response.StatusCode} from the registry without a Location header for the upload", (int)response.StatusCode);
        var uri = location.IsAbsoluteUri ? location : new Uri(request, location);
        if (uri.Scheme is not ("http" or "https"))
            throw new RegistryException($"{ctx.Operation}: upload Location {uri} is not an http(s) URL", (int)response.StatusCode);
        return uri;
    }
}

/// <summary>A request body that streams bytes [offset, offset+length) of a file, reporting the bytes sent.</summary>
internal sealed class FileRangeContent(string path, long offset, long length, Action<long>? sent) : HttpContent
{
    private const int BufferSize = 1 << 20;

    protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancel)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        byte[] buffer = new byte[(int)Math.Min(BufferSize, Math.Max(length, 1))];
        long done = 0;
        while (done < length)
        {
            int want = (int)Math.Min(buffer.Length, length - done);
            int n = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, want), offset + done, cancel).ConfigureAwait(false);
            if (n == 0) throw new IOException($"read {path}: the file ended at {offset + done}, {length - done} bytes short");
            await stream.WriteAsync(buffer.AsMemory(0, n), cancel).ConfigureAwait(false);
            done += n;
            sent?.Invoke(done);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long size)
    {
        size = length;
        return true;
    }
}
