// BasicAuthTests: a registry behind htpasswd basic auth: anonymous pull refused; `login` with a
// wrong password refused (exit 1); `login -u -p` and `login --password-stdin` then pull;
// credentials kept in a 0600 config.json in Docker's format; `logout` then pull refused again.
//
// Why: private registries (company, GitLab, a self-hosted distribution) mostly use basic auth.
// Follows: docker-login(1) (Login Succeeded, --password-stdin, exit 1 on failure), docker-logout(1),
// docker-config-json(5) ("auths": {"HOST": {"auth": base64(user:password)}}), distribution's
// htpasswd auth (401 Www-Authenticate: Basic realm=...).
using System.Text;
using System.Text.Json;

namespace MiniRun.Tests.Registry;

public sealed class BasicAuthRegistry : IDisposable
{
    public RegistryServer Registry { get; } = RegistryServer.WithBasicAuth("alice", "s3cret");
    public BasicAuthRegistry()
    {
        try { TestImages.Skopeo(Registry, TestImages.BusyboxLayout, "latest", "team/busybox:latest", Registry.Creds); }
        catch { Registry.Dispose(); throw; }
    }
    public void Dispose() => Registry.Dispose();
}

public sealed class BasicAuthTests : IClassFixture<BasicAuthRegistry>
{
    private readonly RegistryServer registry;

    public BasicAuthTests(BasicAuthRegistry fixture) => registry = fixture.Registry;

    private string Image => $"{registry.Host}/team/busybox:latest";

    [Fact]
    public void Anonymous_pull_is_refused()
    {
        using var root = new MiniRunRoot();
        var pull = root.Run("pull", Image);
        Assert.Equal(1, pull.ExitCode);
        Assert.Matches("(?i)unauthorized|authentication required|no basic auth credentials|denied", pull.Stderr);
        Assert.Empty(root.Blobs());
    }

    [Fact]
    public void Wrong_password_fails_login_with_exit_1_and_saves_nothing()
    {
        using var root = new MiniRunRoot();
        var login = root.Run("login", "-u", "alice", "-p", "wrong", registry.Host);
        Assert.Equal(1, login.ExitCode);
        Assert.Matches("(?i)unauthorized|incorrect|invalid|authentication", login.Stderr);
        Assert.DoesNotContain(root.CredentialFiles(), f => File.ReadAllText(f).Contains(registry.Host));
    }

    [Fact]
    public void Login_then_pull_then_logout()
    {
        using var root = new MiniRunRoot();
        var login = root.Ok("login", "-u", "alice", "-p", "s3cret", registry.Host);
        Assert.Contains("Login Succeeded", login.Stdout);
        AssertSavedCredentials(root, "alice", "s3cret");

        root.Ok("pull", Image);
        Assert.Equal("ok\n", root.Ok("run", "--rm", Image, "echo", "ok").Stdout);

        root.Ok("logout", registry.Host);
        Assert.DoesNotContain(root.CredentialFiles(), f => File.ReadAllText(f).Contains(registry.Host));
        root.Ok("rmi", Image);
        var again = root.Run("pull", Image);
        Assert.Equal(1, again.ExitCode);
    }

    [Fact]
    public void Login_reads_the_password_from_stdin()
    {
        using var root = new MiniRunRoot();
        var login = root.RunWith("s3cret\n", "login", "-u", "alice", "--password-stdin", registry.Host);
        Assert.True(login.ExitCode == 0, login.Stderr);
        Assert.Contains("Login Succeeded", login.Stdout);
        root.Ok("pull", Image);
    }

    [Fact]
    public void Credentials_saved_by_docker_login_are_used()
    {
        using var root = new MiniRunRoot();
        Directory.CreateDirectory(root.DockerConfig);
        string auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cret"));
        File.WriteAllText(Path.Combine(root.DockerConfig, "config.json"), "{\"auths\":{\"" + registry.Host + "\":{\"auth\":\"" + auth + "\"}}}");
        root.Ok("pull", Image);
    }

    /// <summary>Some config.json under the root's private config dirs has mode 0600 and auths[HOST] = base64(user:password).</summary>
    private void AssertSavedCredentials(MiniRunRoot root, string user, string password)
    {
        string expected = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        var files = root.CredentialFiles().Where(f => File.ReadAllText(f).Contains(registry.Host)).ToArray();
        Assert.True(files.Length > 0, "login wrote no config.json under HOME, DOCKER_CONFIG or MINIRUN_CONFIG");
        foreach (var f in files)
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f));
            var auths = JsonDocument.Parse(File.ReadAllText(f)).RootElement.GetProperty("auths");
            Assert.Equal(expected, auths.GetProperty(registry.Host).GetProperty("auth").GetString());
        }
    }
}
