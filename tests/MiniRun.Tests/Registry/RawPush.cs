// RawPush: pushes an image from an OCI layout to a registry with plain HTTP calls of the
// distribution API, byte for byte (no conversion, no recompression).
//
// Why: skopeo pushing to docker:// compresses uncompressed layers (the docker transport's
// default), so an image with `application/vnd.oci.image.layer.v1.tar` layers can only reach the
// registry unchanged through the raw API. Only for open registries (no auth) on 127.0.0.1.
// Follows: OCI distribution-spec v1.1 "Pushing blobs" (POST /v2/<name>/blobs/uploads/, then a
// monolithic PUT <location>?digest=<digest>), "Pushing manifests" (PUT /v2/<name>/manifests/<ref>
// with the manifest's Content-Type), "Checking if content exists" (HEAD on the blob).
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace MiniRun.Tests.Registry;

public static class RawPush
{
    /// <summary>Pushes the manifest <paramref name="manifest"/> of <paramref name="layoutDir"/>, its config and layers, as repo:tag.</summary>
    public static void Push(string baseUrl, string layoutDir, Desc manifest, string repo, string tag)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        byte[] manifestBytes = File.ReadAllBytes(Blob(layoutDir, manifest.Digest));
        using var doc = JsonDocument.Parse(manifestBytes);
        var digests = new List<string> { doc.RootElement.GetProperty("config").GetProperty("digest").GetString()! };
        foreach (var l in doc.RootElement.GetProperty("layers").EnumerateArray()) digests.Add(l.GetProperty("digest").GetString()!);
        foreach (string d in digests) PushBlob(http, baseUrl, repo, layoutDir, d);

        using var content = new ByteArrayContent(manifestBytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(manifest.MediaType);
        using var put = http.PutAsync($"{baseUrl}/v2/{repo}/manifests/{tag}", content).GetAwaiter().GetResult();
        Expect(put, HttpStatusCode.Created, $"PUT manifest {repo}:{tag}");
    }

    private static void PushBlob(HttpClient http, string baseUrl, string repo, string layoutDir, string digest)
    {
        using (var head = http.Send(new HttpRequestMessage(HttpMethod.Head, $"{baseUrl}/v2/{repo}/blobs/{digest}")))
            if (head.StatusCode == HttpStatusCode.OK) return;
        using var start = http.PostAsync($"{baseUrl}/v2/{repo}/blobs/uploads/", null).GetAwaiter().GetResult();
        Expect(start, HttpStatusCode.Accepted, $"POST upload {repo}");
        var location = start.Headers.Location ?? throw new InvalidOperationException($"POST upload {repo}: no Location header");
        var uri = location.IsAbsoluteUri ? location : new Uri(new Uri(baseUrl), location);
        string sep = uri.Query.Length > 0 ? "&" : "?";
        using var body = new ByteArrayContent(File.ReadAllBytes(Blob(layoutDir, digest)));
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var put = http.PutAsync($"{uri}{sep}digest={Uri.EscapeDataString(digest)}", body).GetAwaiter().GetResult();
        Expect(put, HttpStatusCode.Created, $"PUT blob {digest}");
    }

    private static string Blob(string layoutDir, string digest) => Path.Combine(layoutDir, "blobs", "sha256", digest[7..]);

    private static void Expect(HttpResponseMessage r, HttpStatusCode status, string what)
    {
        if (r.StatusCode != status)
            throw new InvalidOperationException($"{what}: HTTP {(int)r.StatusCode}: {r.Content.ReadAsStringAsync().GetAwaiter().GetResult()}");
    }
}
