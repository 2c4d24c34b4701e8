// Tests of DockerConfigCredentialStore: MiniRun's own file written 0600 in a 0700 directory,
// atomically and keeping unknown keys; Docker's file read (Docker Hub's v1 key); remove; helpers.
// Follows: docker-config-json(5) format.
using System.Text;
using System.Text.Json.Nodes;
using MiniImage.Registry;

namespace MiniImage.Tests.Registry;

public sealed class DockerConfigCredentialStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minirun-creds-").FullName;
    private string MinirunFile => Path.Combine(_dir, "minirun", "config.json");
    private string DockerFile => Path.Combine(_dir, "docker", "config.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private DockerConfigCredentialStore Store() => new(MinirunFile, DockerFile);

    private void WriteDocker(string json)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DockerFile)!);
        File.WriteAllText(DockerFile, json);
    }

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    [Fact]
    public void Save_writes_0600_in_0700_directory_and_reads_back()
    {
        var store = Store();
        store.Save("localhost:5000", new Credential("alice", "pa:ss"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(MinirunFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(Path.GetDirectoryName(MinirunFile)!));
        Assert.Equal(new Credential("alice", "pa:ss"), Store().Get("localhost:5000"));
        var json = JsonNode.Parse(File.ReadAllText(MinirunFile))!;
        Assert.Equal(B64("alice:pa:ss"), (string?)json["auths"]!["localhost:5000"]!["auth"]);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(MinirunFile)!, "*.tmp"));
    }

    [Fact]
    public void Save_keeps_other_keys_and_replaces_the_old_entry()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(MinirunFile)!);
        File.WriteAllText(MinirunFile, "{\"auths\":{\"http://ghcr.io/\":{\"auth\":\"" + B64("old:old") + "\"},\"x.io\":{\"auth\":\"" + B64("x:y") + "\"}},\"psFormat\":\"table\"}");
        var store = Store();
        store.Save("ghcr.io", new Credential("new", "pw"));
        var json = JsonNode.Parse(File.ReadAllText(MinirunFile))!.AsObject();
        Assert.Equal("table", (string?)json["psFormat"]);
        var auths = json["auths"]!.AsObject();
        Assert.Equal(["x.io", "ghcr.io"], auths.Select(p => p.Key));
        Assert.Equal(new Credential("new", "pw"), store.Get("ghcr.io"));
    }

    [Fact]
    public void Docker_hub_uses_the_v1_key_both_ways()
    {
        var store = Store();
        store.Save("docker.io", new Credential("hubuser", "tok"));
        var auths = JsonNode.Parse(File.ReadAllText(MinirunFile))!["auths"]!.AsObject();
        Assert.Equal("https://index.docker.io/v1/", Assert.Single(auths).Key);
        Assert.Equal(new Credential("hubuser", "tok"), store.Get("docker.io"));
        Assert.Equal(new Credential("hubuser", "tok"), store.Get("index.docker.io"));
    }

    [Fact]
    public void Reads_credentials_saved_by_docker_login_and_prefers_its_own()
    {
        WriteDocker("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"" + B64("dockeruser:dpw") + "\"},"
                    + "\"localhost:5000\":{\"auth\":\"" + B64("d:d") + "\"},\"reg.lan\":{\"username\":\"u\",\"password\":\"p\"}}}");
        var store = Store();
        Assert.Equal(new Credential("dockeruser", "dpw"), store.Get("docker.io"));
        Assert.Equal(new Credential("u", "p"), store.Get("reg.lan"));
        Assert.Null(store.Get("ghcr.io"));
        store.Save("localhost:5000", new Credential("mine", "m"));
        Assert.Equal(new Credential("mine", "m"), store.Get("localhost:5000"));
        // Docker's file is untouched:
        Assert.Contains(B64("d:d"), File.ReadAllText(DockerFile));
    }

    [Fact]
    public void Remove_forgets_only_minirun_entries()
    {
        var store = Store();
        Assert.False(store.Remove("localhost:5000"));
        store.Save("localhost:5000", new Credential("a", "b"));
        store.Save("docker.io", new Credential("c", "d"));
        Assert.True(store.Remove("localhost:5000"));
        Assert.Null(store.Get("localhost:5000"));
        Assert.NotNull(store.Get("docker.io"));
        Assert.True(store.Remove("index.docker.io"));
        Assert.Null(store.Get("docker.io"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(MinirunFile));
    }

    [Fact]
    public void Credential_helpers_are_reported_only_without_plain_auth()
    {
        WriteDocker("{\"auths\":{\"ghcr.io\":{}},\"credsStore\":\"desktop\",\"credHelpers\":{\"my.registry\":\"pass\"}}");
        var store = Store();
        Assert.Null(store.Get("ghcr.io"));
        Assert.Contains("docker-credential-desktop", store.UnsupportedHelperFor("ghcr.io"));
        Assert.Contains("docker-credential-pass", store.UnsupportedHelperFor("my.registry"));
        store.Save("ghcr.io", new Credential("a", "b"));
        Assert.Null(store.UnsupportedHelperFor("ghcr.io"));
    }

    [Fact]
    public void Broken_files_give_one_line_errors_naming_the_file()
    {
        WriteDocker("{\"auths\":{\"reg.lan\":{\"auth\":\"%%%\"}}}");
        var e = Assert.Throws<RegistryException>(() => Store().Get("reg.lan"));
        Assert.Contains(DockerFile, e.Message);
        WriteDocker("{not json");
        var e2 = Assert.Throws<RegistryException>(() => Store().Get("reg.lan"));
        Assert.StartsWith($"read credentials {DockerFile}: invalid JSON", e2.Message);
    }

    [Fact]
    public void Default_paths_and_missing_files()
    {
        Assert.Null(Store().Get("reg.lan"));
        Assert.Null(Store().UnsupportedHelperFor("reg.lan"));
        var store = new DockerConfigCredentialStore();
        Assert.EndsWith("config.json", store.MinirunConfigPath);
        Assert.EndsWith("config.json", store.DockerConfigPath);
    }
}
