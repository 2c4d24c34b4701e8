// BlobUploaderTests: the upload logic of a push against an in-memory registry behind an
// HttpMessageHandler (FakeUploadRegistry): monolithic for a small blob (POST, then PUT with the
// body and ?digest=), chunked for a large one (PATCHes with contiguous Content-Range, then an empty
// PUT), the Location of each answer followed whether relative or absolute (the session's state
// travels in it), HEAD skipping a blob the repository has, a mount (201) and a mount refused (202:
// the session it opened is used), a chunk cut in the middle resumed at the offset the session
// reports (GET -> Range), a 416 answered with a fresh start, and a digest refused by the registry
// given up after the attempts with one line.
//
// Why: the chunk arithmetic and the recovery paths are where an uploader goes wrong silently; the
// fake records every request so the exact sequence is checked, without sockets or timing.
// Follows: OCI distribution-spec v1.1 "Pushing blobs" (monolithic, chunked, Content-Range
// "<start>-<end>", 202 + Location + Range, 416, GET on the session -> 204 + Range), "Mounting a
// blob from another repository", "Checking if content exists".
using System.Net;
using System.Security.Cryptography;
using MiniImage.Oci;
using MiniImage.Push;
using MiniImage.Reference;
using MiniImage.Registry;
using MiniImage.Store;

namespace MiniImage.Tests.Push;

/// <summary>A registry's upload endpoints in memory; records "METHOD path?query [Content-Range]" per request.</summary>
internal sealed class FakeUploadRegistry : HttpMessageHandler
{
    private readonly Dictionary<string, MemoryStream> _sessions = new();
    private int _next;
    public HashSet<string> Blobs { get; } = new();                 // "repo@digest"
    public List<string> Requests { get; } = new();
    public bool RelativeLocations { get; set; } = true;
    public bool RefuseMount { get; set; }
    /// <summary>Cut the Nth PATCH (1-based) after storing half its body; 0: never.</summary>
    public int CutPatch { get; set; }
    /// <summary>Answer the Nth PATCH with 416; 0: never.</summary>
    public int RangeErrorPatch { get; set; }
    public bool CorruptEverything { get; set; }
    private int _patches;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancel)
    {
        var uri = request.RequestUri!;
        string path = uri.AbsolutePath;
        var query = System.Web.HttpUtility.ParseQueryString(uri.Query);
        string? range = request.Content?.Headers.TryGetValues("Content-Range", out var v) == true ? v.First() : null;
        lock (Requests) Requests.Add($"{request.Method} {path}{uri.Query}{(range is null ? "" : " [" + range + "]")}");
        string repo = path.Split("/blobs/")[0]["/v2/".Length..];

        if (request.Method == HttpMethod.Head)
            return new HttpResponseMessage(Blobs.Contains($"{repo}@{path.Split("/blobs/")[1]}") ? HttpStatusCode.OK : HttpStatusCode.NotFound);

        if (request.Method == HttpMethod.Post)
        {
            if (query["mount"] is { } mount && !RefuseMount && Blobs.Contains($"{query["from"]}@{mount}"))
            {
                Blobs.Add($"{repo}@{mount}");
                return new HttpResponseMessage(HttpStatusCode.Created);
            }
            string id = $"u{++_next}";
            _sessions[id] = new MemoryStream();
            return Session(HttpStatusCode.Accepted, repo, id);
        }

        string sessionId = path.Split("/uploads/")[1];
        if (!_sessions.TryGetValue(sessionId, out var session))
            return new HttpResponseMessage(HttpStatusCode.NotFound);
        if (request.Method == HttpMethod.Get)
        {
            var r = Session(HttpStatusCode.NoContent, repo, sessionId);
            r.Headers.TryAddWithoutValidation("Range", $"0-{Math.Max(0, session.Length - 1)}");
            return r;
        }
        byte[] body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancel);
        if (request.Method == HttpMethod.Patch)
        {
            int n = ++_patches;
            long start = long.Parse(range!.Split('-')[0]);
            if (n == RangeErrorPatch || start != session.Length) return new HttpResponseMessage(HttpStatusCode.RequestedRangeNotSatisfiable);
            if (n == CutPatch)
            {
                session.Write(body, 0, body.Length / 2);
                throw new HttpRequestException("connection reset by the fake (cut in the middle of a chunk)");
            }
            session.Write(body);
            return Session(HttpStatusCode.Accepted, repo, sessionId);
        }
        // PUT ?digest=
        session.Write(body);
        string digest = query["digest"]!;
        string actual = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(session.ToArray()));
        if (actual != digest || CorruptEverything)
            return new HttpResponseMessage(HttpStatusCode.BadRequest)
            {
                Content = new StringContent("""{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}"""),
            };
        _sessions.Remove(sessionId);
        Blobs.Add($"{repo}@{digest}");
        var created = new HttpResponseMessage(HttpStatusCode.Created);
        created.Headers.TryAddWithoutValidation("Docker-Content-Digest", digest);
        return created;
    }

    private HttpResponseMessage Session(HttpStatusCode status, string repo, string id)
    {
        var r = new HttpResponseMessage(status);
        string location = $"/v2/{repo}/blobs/uploads/{id}?_state={_patches}";
        r.Headers.TryAddWithoutValidation("Location", RelativeLocations ? location : "http://127.0.0.1:5000" + location);
        return r;
    }
}

public sealed class BlobUploaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minirun-upload-").FullName;
    private readonly FakeUploadRegistry _fake = new();
    private readonly ImageReference _repo = ImageReference.Parse("127.0.0.1:5000/team/app:1");

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        _fake.Dispose();
    }

    private PushBlob Blob(int size)
    {
        byte[] data = new byte[size];
        new Random(size).NextBytes(data);
        var digest = Digest.Compute(data);
        string path = Path.Combine(_dir, digest.Hex);
        File.WriteAllBytes(path, data);
        return new PushBlob(new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = digest.ToString(), Size = size }, digest, path, null, false);
    }

    private BlobUploader Uploader(long chunk = 1000, int attempts = 5)
    {
        var client = new RegistryClient(new RegistryOptions { Handler = _fake, DelayForTests = (_, _) => Task.CompletedTask });
        return new BlobUploader(client, new PushOptions { ChunkSize = chunk, MonolithicLimit = chunk, MaxBlobAttempts = attempts, RetryDelay = TimeSpan.Zero });
    }

    private Task<(UploadOutcome, string?)> Push(BlobUploader u, PushBlob b, params string[] sources) =>
        u.PushAsync(_repo, b, sources, null, null, "test", CancellationToken.None);

    [Fact]
    public async Task Small_blob_is_one_POST_and_one_PUT_with_the_digest()
    {
        var blob = Blob(700);
        Assert.Equal(UploadOutcome.Uploaded, (await Push(Uploader(), blob)).Item1);
        Assert.Equal([
            $"HEAD /v2/team/app/blobs/{blob.Digest}",
            "POST /v2/team/app/blobs/uploads/",
            $"PUT /v2/team/app/blobs/uploads/u1?_state=0&digest={Uri.EscapeDataString(blob.Digest.ToString())}",
        ], _fake.Requests);
        Assert.Contains($"team/app@{blob.Digest}", _fake.Blobs);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Large_blob_goes_in_contiguous_chunks_following_each_Location(bool relative)
    {
        _fake.RelativeLocations = relative;
        var blob = Blob(2500);
        var progress = new List<long>();
        await Uploader().PushAsync(_repo, blob, [], null, (n, _) => progress.Add(n), "test", CancellationToken.None);
        Assert.Equal([
            $"HEAD /v2/team/app/blobs/{blob.Digest}",
            "POST /v2/team/app/blobs/uploads/",
            "PATCH /v2/team/app/blobs/uploads/u1?_state=0 [0-999]",
            "PATCH /v2/team/app/blobs/uploads/u1?_state=1 [1000-1999]",
            "PATCH /v2/team/app/blobs/uploads/u1?_state=2 [2000-2499]",
            $"PUT /v2/team/app/blobs/uploads/u1?_state=3&digest={Uri.EscapeDataString(blob.Digest.ToString())}",
        ], _fake.Requests);
        Assert.Equal(2500, progress[^1]);
        Assert.Contains($"team/app@{blob.Digest}", _fake.Blobs);
    }

    [Fact]
    public async Task Existing_blob_is_only_HEADed()
    {
        var blob = Blob(100);
        _fake.Blobs.Add($"team/app@{blob.Digest}");
        Assert.Equal(UploadOutcome.Existed, (await Push(Uploader(), blob, "other/repo")).Item1);
        Assert.Single(_fake.Requests);
    }

    [Fact]
    public async Task Known_source_repository_is_mounted_and_a_refused_mount_uploads_into_its_session()
    {
        var blob = Blob(100);
        _fake.Blobs.Add($"library/base@{blob.Digest}");
        var (outcome, from) = await Push(Uploader(), blob, "library/base");
        Assert.Equal((UploadOutcome.Mounted, "library/base"), (outcome, from));
        Assert.Equal($"POST /v2/team/app/blobs/uploads/?mount={Uri.EscapeDataString(blob.Digest.ToString())}&from=library%2Fbase", _fake.Requests[1]);

        var second = Blob(200);
        _fake.RefuseMount = true;
        _fake.Requests.Clear();
        Assert.Equal(UploadOutcome.Uploaded, (await Push(Uploader(), second, "library/base")).Item1);
        Assert.Equal(3, _fake.Requests.Count);   // HEAD, POST ?mount (202 opens a session), PUT into that session
        Assert.StartsWith("PUT /v2/team/app/blobs/uploads/u", _fake.Requests[2]);
    }

    [Fact]
    public async Task Chunk_cut_in_the_middle_resumes_at_the_offset_the_session_reports()
    {
        var blob = Blob(2500);
        _fake.CutPatch = 2;     // the second chunk: the session keeps 500 of its 1000 bytes
        await Push(Uploader(), blob);
        Assert.Contains($"team/app@{blob.Digest}", _fake.Blobs);
        Assert.Contains("GET /v2/team/app/blobs/uploads/u1?_state=1", _fake.Requests);
        Assert.Contains("PATCH /v2/team/app/blobs/uploads/u1?_state=2 [1500-2499]", _fake.Requests);
        Assert.DoesNotContain(_fake.Requests, r => r.StartsWith("POST") && r != "POST /v2/team/app/blobs/uploads/");
        Assert.Single(_fake.Requests, r => r.StartsWith("POST"));
    }

    [Fact]
    public async Task Range_error_goes_on_from_what_the_session_holds()
    {
        var blob = Blob(2500);
        _fake.RangeErrorPatch = 2;
        await Push(Uploader(), blob);
        Assert.Contains($"team/app@{blob.Digest}", _fake.Blobs);
        Assert.Contains(_fake.Requests, r => r.StartsWith("GET /v2/team/app/blobs/uploads/u1"));
        Assert.Equal(2, _fake.Requests.Count(r => r.EndsWith("[1000-1999]")));
    }

    [Fact]
    public async Task Digest_refused_every_time_gives_up_with_one_line()
    {
        var blob = Blob(300);
        _fake.CorruptEverything = true;
        var e = await Assert.ThrowsAsync<RegistryException>(() => Push(Uploader(attempts: 3), blob));
        Assert.Contains("gave up after 3 attempts", e.Message);
        Assert.Contains("digest_invalid", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(3, _fake.Requests.Count(r => r.StartsWith("POST")));
        Assert.DoesNotContain($"team/app@{blob.Digest}", _fake.Blobs);
    }
}
