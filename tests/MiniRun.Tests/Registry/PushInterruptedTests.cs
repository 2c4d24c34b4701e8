// PushInterruptedTests: uploads cut in the middle by CutProxy (CutUploads: the connection closes
// after a number of bytes of a PATCH or PUT of an upload session). Once: the push retries that
// blob and succeeds, and the image pulls back intact. Every time: the push fails with one line,
// and the tag does not exist in the registry (the manifest is PUT only after every blob).
// The same through the library with small chunks, so the cut falls inside a chunked upload and
// the uploader resumes at the offset the session reports (GET on the session) or starts over.
//
// Why: "an interrupted push leaves nothing half-visible under the tag", and a cut link costs a
// retry, not a failed push.
// Follows: OCI distribution-spec v1.1 "Pushing blobs" (chunked upload, GET on the session for its
// Range, 416 for an out-of-order chunk), "Pushing manifests"; docker-push(1) exit status 1.
using MiniImage.Push;
using MiniImage.Reference;
using MiniImage.Registry;
using MiniImage.Store;
using Xunit.Abstractions;

namespace MiniRun.Tests.Registry;

public sealed class PushInterruptedTests : IClassFixture<OpenRegistry>
{
    private readonly RegistryServer registry;
    private readonly ITestOutputHelper output;

    public PushInterruptedTests(OpenRegistry fx, ITestOutputHelper output)
    {
        registry = fx.Registry;
        this.output = output;
    }

    private static bool TagExists(string image) =>
        Tool.Run("/usr/bin/skopeo", ["inspect", "--tls-verify=false", "docker://" + image]).ExitCode == 0;

    [Fact]
    public void Upload_cut_once_is_retried_and_the_image_pulls_back()
    {
        using var proxy = new CutProxy(registry.Port, cutAfterBytes: 300_000, cuts: 1) { CutUploads = true };
        using var root = PushTests.WithBusybox();
        string image = $"{proxy.Host}/cut/once:1";
        root.Ok("tag", "busybox", image);
        var push = root.Run("push", image);
        output.WriteLine($"exit {push.ExitCode}, {proxy.Cuts} cut(s), {proxy.UploadRequests} upload request(s)\n{push.Stdout}{push.Stderr}");
        Assert.Equal(0, push.ExitCode);
        Assert.Equal(1, proxy.Cuts);
        Assert.Equal(PushTests.StoreManifestDigest(root, image), PushTests.SkopeoDigest($"{registry.Host}/cut/once:1"));

        using var fresh = new MiniRunRoot();
        fresh.Ok("pull", $"{registry.Host}/cut/once:1");
        Assert.Equal(root.ImageIds(), fresh.ImageIds());
        Assert.Equal("ok\n", fresh.Ok("run", "--rm", $"{registry.Host}/cut/once:1", "echo", "ok").Stdout);
    }

    [Fact]
    public void Upload_cut_every_time_fails_with_one_line_and_the_tag_does_not_exist()
    {
        using var proxy = new CutProxy(registry.Port, cutAfterBytes: 100_000, cuts: -1) { CutUploads = true };
        using var root = PushTests.WithBusybox();
        string image = $"{proxy.Host}/cut/always:1";
        root.Ok("tag", "busybox", image);
        var push = root.Run("push", image);
        output.WriteLine($"exit {push.ExitCode}, {proxy.Cuts} cut(s)\n{push.Stdout}{push.Stderr}");
        Assert.Equal(1, push.ExitCode);
        Assert.True(proxy.Cuts >= 2);
        Assert.Single(push.Stderr.Trim().Split('\n'));
        Assert.Contains("gave up after", push.Stderr);
        Assert.False(TagExists($"{registry.Host}/cut/always:1"));

        proxy.CutsRemaining = 0; // the link is healthy again: the same push completes
        root.Ok("push", image);
        Assert.True(TagExists($"{registry.Host}/cut/always:1"));
    }

    [Fact]
    public async Task Chunked_upload_cut_in_a_chunk_resumes_and_completes()
    {
        using var root = PushTests.WithBusybox();
        using var proxy = new CutProxy(registry.Port, cutAfterBytes: 150_000, cuts: 2) { CutUploads = true };
        var store = new ImageStore(root.Root);
        var target = ImageReference.Parse($"{proxy.Host}/cut/chunked:1");
        store.Tag("busybox:latest", target.ToString());
        using var client = new RegistryClient(new RegistryOptions());
        var pusher = new ImagePusher(store, client, new PushOptions { ChunkSize = 200_000, MonolithicLimit = 200_000, RetryDelay = TimeSpan.Zero });
        var results = await pusher.PushAsync(pusher.Targets(target, allTags: false), null, CancellationToken.None);
        output.WriteLine($"{proxy.Cuts} cut(s), {proxy.UploadRequests} upload request(s)");
        Assert.Equal(2, proxy.Cuts);
        // 1 MB in 200 kB chunks: at least 6 PATCHes and the closing PUT, plus the config's PUT and the retries.
        Assert.True(proxy.UploadRequests >= 9, $"{proxy.UploadRequests} upload requests");
        Assert.Contains("PATCH /v2/cut/chunked/blobs/uploads/", registry.Log);
        Assert.Contains("GET /v2/cut/chunked/blobs/uploads/", registry.Log); // the session's offset was asked
        Assert.Equal(results[0].Digest.ToString(), PushTests.SkopeoDigest($"{registry.Host}/cut/chunked:1"));

        using var fresh = new MiniRunRoot();
        fresh.Ok("pull", $"{registry.Host}/cut/chunked:1");
        Assert.Equal(root.ImageIds(), fresh.ImageIds());
    }
}
