// PushTests: `minirun push` to the real distribution registry (open, no auth): the busybox fixture
// loaded from its OCI layout, an image loaded from a docker-archive and a committed image are
// pushed, then read back by skopeo (same manifest digest as the store's) and pulled back by
// MiniRun into a fresh root (same image ID, runs). A second push says "Layer already exists", a
// push to another repository of the registry "Mounted from", `-a` pushes every tag, and the
// errors read as Docker's: no such local tag, registry unreachable (address and errno).
//
// Why: the course's cycle is build, tag, push, pull; what MiniRun pushes must be what skopeo,
// podman and MiniRun itself pull, with the same digest.
// Follows: docker-push(1) (output, -a, "An image does not exist locally with the tag"), OCI
// distribution-spec v1.1 "Pushing blobs", "Pushing manifests", "Mounting a blob from another
// repository"; skopeo-inspect(1), skopeo-copy(1).
using System.Text.Json;
using MiniRun.Tests.Integration;
using Xunit.Abstractions;

namespace MiniRun.Tests.Registry;

public sealed class OpenRegistry : IDisposable
{
    public RegistryServer Registry { get; } = new();
    public void Dispose() => Registry.Dispose();
}

public sealed class PushTests : IClassFixture<OpenRegistry>
{
    private readonly RegistryServer registry;
    private readonly ITestOutputHelper output;

    public PushTests(OpenRegistry fx, ITestOutputHelper output)
    {
        registry = fx.Registry;
        this.output = output;
    }

    /// <summary>A root with the busybox fixture loaded (as busybox:latest).</summary>
    internal static MiniRunRoot WithBusybox()
    {
        var root = new MiniRunRoot();
        root.Ok("load", "-i", MiniRunHost.FixtureLayout);
        return root;
    }

    /// <summary>The manifest digest the store records for `name` (inspect's RepoDigests are not always set; the manifest blob is).</summary>
    internal static string StoreManifestDigest(MiniRunRoot root, string name)
    {
        var images = JsonDocument.Parse(File.ReadAllText(Path.Combine(root.Root, "images.json"))).RootElement;
        string id = images.GetProperty("tags").GetProperty(name).GetString()!;
        return images.GetProperty("images").GetProperty(id).GetProperty("manifest").GetString()!;
    }

    internal static string SkopeoDigest(string image, string? creds = null)
    {
        var args = new List<string> { "inspect", "--tls-verify=false" };
        if (creds is not null) { args.Add("--creds"); args.Add(creds); }
        args.Add("docker://" + image);
        return JsonDocument.Parse(Tool.Check("/usr/bin/skopeo", [.. args])).RootElement.GetProperty("Digest").GetString()!;
    }

    private string Ref(string repoTag) => $"{registry.Host}/{repoTag}";

    [Fact]
    public void Loaded_image_is_pushed_with_the_stores_manifest_and_pulled_back_by_skopeo_and_minirun()
    {
        using var root = WithBusybox();
        string image = Ref("loaded/busybox:latest");
        root.Ok("tag", "busybox:latest", image);
        var push = root.Ok("push", image);
        output.WriteLine(push.Stdout);
        string manifest = StoreManifestDigest(root, $"{image}");
        string layerId = JsonDocument.Parse(root.Ok("image", "inspect", image).Stdout).RootElement[0]
            .GetProperty("RootFS").GetProperty("Layers")[0].GetString()![7..19];

        Assert.StartsWith($"The push refers to repository [{registry.Host}/loaded/busybox]\n", push.Stdout);
        Assert.Contains($"{layerId}: Preparing\n", push.Stdout);
        Assert.Contains($"{layerId}: Pushed\n", push.Stdout);
        int size = (int)new FileInfo(Path.Combine(root.BlobsDir, manifest[7..])).Length;
        Assert.EndsWith($"latest: digest: {manifest} size: {size}\n", push.Stdout);
        Assert.DoesNotContain("\x1b[", push.Stdout); // not a terminal: no cursor movement

        Assert.Equal(manifest, SkopeoDigest(image));
        Assert.Contains(manifest, root.Ok("images", "--digests", image).Stdout);

        using var fresh = new MiniRunRoot();
        fresh.Ok("pull", image);
        Assert.Equal(root.ImageIds(), fresh.ImageIds());
        Assert.Equal("ok\n", fresh.Ok("run", "--rm", image, "echo", "ok").Stdout);
        Assert.Contains(manifest, fresh.Ok("images", "--digests").Stdout);
    }

    [Fact]
    public void Second_push_says_layer_already_exists_and_another_repository_mounts()
    {
        using var root = WithBusybox();
        string first = Ref("mount/a:1"), second = Ref("mount/b:1");
        root.Ok("tag", "busybox", first);
        root.Ok("tag", "busybox", second);
        Assert.Contains(": Pushed\n", root.Ok("push", first).Stdout);

        var again = root.Ok("image", "push", first);   // `image push` is the same verb
        Assert.Contains(": Layer already exists\n", again.Stdout);
        Assert.DoesNotContain("Pushed", again.Stdout);

        var other = root.Ok("push", second);
        output.WriteLine(other.Stdout);
        Assert.Contains(": Mounted from mount/a\n", other.Stdout);
        Assert.Contains("POST /v2/mount/b/blobs/uploads/?mount=sha256", registry.Log.Replace("%3A", ":"));
        Assert.Equal(SkopeoDigest(first), SkopeoDigest(second));
    }

    [Fact]
    public void Pulled_image_pushed_to_another_repository_of_the_registry_is_mounted_from_where_it_came()
    {
        using (var seed = WithBusybox())
        {
            seed.Ok("tag", "busybox", Ref("library/origin:latest"));
            seed.Ok("push", Ref("library/origin:latest"));
        }
        using var root = new MiniRunRoot();
        root.Ok("pull", Ref("library/origin:latest"));
        root.Ok("tag", Ref("library/origin:latest"), Ref("team/copy:v2"));
        var push = root.Ok("push", Ref("team/copy:v2"));
        Assert.Contains(": Mounted from library/origin\n", push.Stdout);
        Assert.Equal(SkopeoDigest(Ref("library/origin:latest")), SkopeoDigest(Ref("team/copy:v2")));
    }

    [Fact]
    public void Committed_image_is_pushed_and_runs_after_a_pull_into_a_fresh_root()
    {
        using var root = WithBusybox();
        string image = Ref("committed/app:v1");
        root.Ok("run", "--name", "pushsrc", "busybox", "sh", "-c", "echo pushed-content > /hello");
        root.Ok("commit", "-c", "CMD [\"cat\", \"/hello\"]", "pushsrc", image);
        root.Ok("rm", "pushsrc");
        var push = root.Ok("push", image);
        output.WriteLine(push.Stdout);
        Assert.Equal(2, push.Stdout.Split('\n').Count(l => l.EndsWith(": Preparing")));
        string manifest = StoreManifestDigest(root, image);
        Assert.Contains($"v1: digest: {manifest} size:", push.Stdout);
        Assert.Equal(manifest, SkopeoDigest(image));

        // skopeo copy gets the same manifest bytes.
        string dir = Directory.CreateTempSubdirectory("minirun-push-skopeo-").FullName;
        try
        {
            Tool.Check("/usr/bin/skopeo", "copy", "--src-tls-verify=false", "docker://" + image, $"oci:{dir}:v1");
            var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "index.json"))).RootElement;
            Assert.Equal(manifest, index.GetProperty("manifests")[0].GetProperty("digest").GetString());
        }
        finally { Directory.Delete(dir, recursive: true); }

        using var fresh = new MiniRunRoot();
        Assert.Equal("pushed-content\n", fresh.Ok("run", "--rm", image).Stdout);
    }

    [Fact]
    public void Built_image_is_pulled_by_podman_with_the_same_digest_and_image_id()
    {
        Tool.Require("/usr/bin/podman", "podman");
        using var root = WithBusybox();
        string work = Directory.CreateTempSubdirectory("minirun-push-podman-").FullName;
        string podmanDir = Path.Combine(work, "podman");
        string[] podman = ["--root", Path.Combine(podmanDir, "storage"), "--runroot", Path.Combine(podmanDir, "run"), "--storage-driver", "vfs"];
        var podmanEnv = new Dictionary<string, string> { ["TMPDIR"] = work };
        try
        {
            // The course's cycle: build, tag, push, then another engine pulls it.
            string ctx = Directory.CreateDirectory(Path.Combine(work, "ctx")).FullName;
            File.WriteAllText(Path.Combine(ctx, "Dockerfile"), "FROM busybox\nRUN echo built > /built\nCMD [\"cat\", \"/built\"]\n");
            string image = Ref("built/course:v1");
            root.Ok("build", "-t", image, ctx);
            root.Ok("push", image);
            string manifest = StoreManifestDigest(root, image);
            string id = root.Ok("image", "inspect", "-f", "{{.Id}}", image).Stdout.Trim();

            var pull = Tool.Run("/usr/bin/podman", [.. podman, "pull", "-q", "--tls-verify=false", image], env: podmanEnv);
            Assert.True(pull.ExitCode == 0, pull.Stderr);
            var inspect = Tool.Run("/usr/bin/podman", [.. podman, "image", "inspect", "--format", "{{.Digest}} sha256:{{.Id}}", image], env: podmanEnv);
            Assert.True(inspect.ExitCode == 0, inspect.Stderr);
            Assert.Equal($"{manifest} {id}", inspect.Stdout.Trim());
        }
        finally
        {
            Tool.Run("/usr/bin/podman", [.. podman, "rmi", "-a", "-f"], env: podmanEnv);
            Tool.Run("/bin/sh", ["-c", $"umount -R {podmanDir}/storage {podmanDir}/run 2>/dev/null; true"]);
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void Build_pulls_a_missing_base_and_with_pull_asks_the_registry_again()
    {
        string base_ = Ref("bases/busybox:1");
        using (var seed = WithBusybox())
        {
            seed.Ok("tag", "busybox", base_);
            seed.Ok("push", base_);
        }
        using var root = new MiniRunRoot();
        string ctx = Directory.CreateTempSubdirectory("minirun-build-pull-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(ctx, "Dockerfile"), $"FROM {base_}\nRUN echo x > /x\n");
            var first = root.Ok("build", "-t", "frombase", ctx);
            // run's pull path, its progress in the build output between FROM and its image, as Docker's classic builder prints it
            Assert.Matches($"Step 1/2 : FROM {System.Text.RegularExpressions.Regex.Escape(base_)}\n(.*\n)*Status: Downloaded newer image for " +
                $"{System.Text.RegularExpressions.Regex.Escape(base_)}\n ---> [0-9a-f]{{12}}\nStep 2/2", first.Stdout);
            Assert.DoesNotContain("Unable to find image", first.Stdout + first.Stderr);

            var cached = root.Ok("build", "-t", "frombase", ctx);
            Assert.DoesNotContain("Status:", cached.Stdout + cached.Stderr);   // the base is in the store: no registry request

            var pulled = root.Ok("build", "--pull", "-t", "frombase", ctx);
            Assert.Contains($"Status: Image is up to date for {base_}\n", pulled.Stdout);
            Assert.Contains(" ---> Using cache\n", pulled.Stdout);
        }
        finally { Directory.Delete(ctx, recursive: true); }
    }

    [Fact]
    public void Docker_archive_image_pushes_its_stored_manifest_and_pulls_back_with_the_same_id()
    {
        string dir = Directory.CreateTempSubdirectory("minirun-push-archive-").FullName;
        try
        {
            string archive = Path.Combine(dir, "busybox.tar");
            Tool.Check("/usr/bin/skopeo", "copy", $"oci:{MiniRunHost.FixtureLayout}:latest", $"docker-archive:{archive}:archived/busybox:1");
            using var root = new MiniRunRoot();
            root.Ok("load", "-i", archive);
            string image = Ref("archived/busybox:1");
            root.Ok("tag", "archived/busybox:1", image);
            var push = root.Ok("push", image);
            string manifest = StoreManifestDigest(root, image);
            Assert.Contains($"1: digest: {manifest} size:", push.Stdout);
            Assert.Equal(manifest, SkopeoDigest(image));
            using var fresh = new MiniRunRoot();
            fresh.Ok("pull", image);
            Assert.Equal(root.ImageIds(), fresh.ImageIds());
            Assert.Equal("ok\n", fresh.Ok("run", "--rm", image, "echo", "ok").Stdout);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void All_tags_pushes_every_tag_of_the_repository()
    {
        using var root = WithBusybox();
        root.Ok("run", "--name", "alltags", "busybox", "sh", "-c", "echo two > /two");
        root.Ok("commit", "alltags", Ref("every/tag:two"));
        root.Ok("rm", "alltags");
        root.Ok("tag", "busybox", Ref("every/tag:one"));
        root.Ok("tag", "busybox", Ref("every/tag:uno"));
        root.Ok("tag", "busybox", Ref("every/other:no"));

        Assert.Equal(1, root.Run("push", "-a", Ref("every/tag:one")).ExitCode); // a tag with -a is refused
        var push = root.Ok("push", "--all-tags", Ref("every/tag"));
        output.WriteLine(push.Stdout);
        Assert.Single(push.Stdout.Split('\n'), l => l.StartsWith("The push refers to repository", StringComparison.Ordinal));
        foreach (string tag in new[] { "one", "two", "uno" })
            Assert.Contains($"\n{tag}: digest: {StoreManifestDigest(root, Ref("every/tag:" + tag))} size:", push.Stdout);
        var tags = JsonDocument.Parse(Tool.Check("/usr/bin/skopeo", "list-tags", "--tls-verify=false", $"docker://{Ref("every/tag")}"))
            .RootElement.GetProperty("Tags").EnumerateArray().Select(t => t.GetString()!).Order().ToArray();
        Assert.Equal(["one", "two", "uno"], tags);
        Assert.Equal(1, Tool.Run("/usr/bin/skopeo", ["inspect", "--tls-verify=false", $"docker://{Ref("every/other:no")}"]).ExitCode);
    }

    [Fact]
    public void Missing_local_tag_is_one_line_with_dockers_words()
    {
        using var root = WithBusybox();
        var push = root.Run("push", Ref("nothere/busybox"));
        Assert.Equal(1, push.ExitCode);
        Assert.Equal($"An image does not exist locally with the tag: {Ref("nothere/busybox")}", push.Stderr.Trim());
    }

    [Fact]
    public void Unreachable_registry_names_the_address_and_errno()
    {
        using var root = WithBusybox();
        int port = RegistryServer.FreePort(); // nothing listens there
        string image = $"127.0.0.1:{port}/x/busybox:latest";
        root.Ok("tag", "busybox", image);
        var push = root.Run("push", image);
        output.WriteLine(push.Stderr);
        Assert.Equal(1, push.ExitCode);
        Assert.Single(push.Stderr.Trim().Split('\n'));
        Assert.Contains($"127.0.0.1:{port}", push.Stderr);
        Assert.Contains("ECONNREFUSED", push.Stderr);
    }
}
