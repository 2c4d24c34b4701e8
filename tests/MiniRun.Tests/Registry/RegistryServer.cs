// RegistryServer: starts Debian's distribution registry (/usr/bin/docker-registry, package
// docker-registry 2.8) on 127.0.0.1:<free port> with its storage in a temporary directory,
// optionally behind htpasswd basic auth or token auth, for the registry tests.
//
// Why: MiniRun's pull must work against the real registry that Docker Hub and most private
// registries run, not against a mock. Each server is private to one test class: its own port,
// its own storage, its own config. Dispose kills only the process this object started (by its
// pid, via the Process object) and deletes only the directory it created.
// Follows: distribution's configuration.md (version, storage.filesystem.rootdirectory, http.addr,
// auth.htpasswd {realm, path}, auth.token {realm, service, issuer, rootcertbundle}), htpasswd(1)
// -B (bcrypt; the registry accepts only bcrypt entries), the /v2/ API version check.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MiniRun.Tests.Registry;

public enum RegistryAuth { None, Basic, Token }

public sealed class RegistryServer : IDisposable
{
    public const string BinaryPath = "/usr/bin/docker-registry";

    private readonly string dir;
    private readonly StringBuilder log = new();
    private Process? process;

    /// <summary>The directory the registry stores blobs and repositories in (docker/registry/v2/...).</summary>
    public string StorageDir { get; }
    public int Port { get; }
    /// <summary>host:port, the registry part of image references, e.g. 127.0.0.1:40123.</summary>
    public string Host => $"127.0.0.1:{Port}";
    public string BaseUrl => $"http://{Host}";
    public RegistryAuth Auth { get; }
    public string? User { get; }
    public string? Password { get; }
    public bool IsRunning => process is { HasExited: false };

    /// <summary>An open registry (no auth).</summary>
    public RegistryServer() : this(RegistryAuth.None, null, null, null) { }

    /// <summary>A registry with htpasswd basic auth for one user.</summary>
    public static RegistryServer WithBasicAuth(string user, string password) => new(RegistryAuth.Basic, user, password, null);

    /// <summary>A registry that accepts bearer tokens issued by <paramref name="tokens"/>.</summary>
    public static RegistryServer WithTokenAuth(TokenServer tokens) => new(RegistryAuth.Token, null, null, tokens);

    private RegistryServer(RegistryAuth auth, string? user, string? password, TokenServer? tokens)
    {
        Tool.Require(BinaryPath, "docker-registry");
        Auth = auth;
        User = user;
        Password = password;
        dir = Directory.CreateTempSubdirectory("minirun-registry-").FullName;
        StorageDir = Path.Combine(dir, "storage");
        Directory.CreateDirectory(StorageDir);
        try
        {
            // A free port can be taken by a parallel test between FreePort() and the registry's
            // bind; then the registry exits with "address already in use" and another port is tried.
            for (int attempt = 1; ; attempt++)
            {
                Port = FreePort();
                File.WriteAllText(Path.Combine(dir, "config.yml"), Config(tokens));
                try { Start(); break; }
                catch (PortTakenException) when (attempt < 5) { Stop(); }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private string Config(TokenServer? tokens)
    {
        var yml = new StringBuilder();
        yml.Append($"""
            version: 0.1
            log:
              level: info
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: {StorageDir}
              delete:
                enabled: true
              maintenance:
                uploadpurging:
                  enabled: false
            http:
              addr: {Host}

            """);
        if (Auth == RegistryAuth.Basic)
        {
            Tool.Require("/usr/bin/htpasswd", "apache2-utils");
            string line = Tool.Check("/usr/bin/htpasswd", "-Bbn", User!, Password!).Trim();
            string htpasswd = Path.Combine(dir, "htpasswd");
            File.WriteAllText(htpasswd, line + "\n");
            yml.Append($"""
                auth:
                  htpasswd:
                    realm: minirun-test-registry
                    path: {htpasswd}

                """);
        }
        else if (Auth == RegistryAuth.Token)
        {
            string bundle = Path.Combine(dir, "root.pem");
            File.WriteAllText(bundle, tokens!.CertificatePem);
            yml.Append($"""
                auth:
                  token:
                    realm: {tokens.Realm}
                    service: {tokens.Service}
                    issuer: {tokens.Issuer}
                    rootcertbundle: {bundle}

                """);
        }
        return yml.ToString();
    }

    /// <summary>Starts the registry (again, after <see cref="Stop"/>) on the same port and storage; waits until /v2/ answers.</summary>
    public void Start()
    {
        if (IsRunning) return;
        var psi = new ProcessStartInfo(BinaryPath)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add(Path.Combine(dir, "config.yml"));
        var p = Process.Start(psi) ?? throw new InvalidOperationException("start docker-registry failed");
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        process = p;
        WaitUntilServing();
    }

    private void WaitUntilServing()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (process!.HasExited)
            {
                if (Log.Contains("address already in use")) throw new PortTakenException();
                throw new InvalidOperationException($"docker-registry on {Host} exited with {process.ExitCode}: {Log}");
            }
            try
            {
                using var r = http.GetAsync($"{BaseUrl}/v2/").GetAwaiter().GetResult();
                // Only our own process answering counts: it logs "listening on" once bound.
                if (r.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized && Log.Contains("listening on") && !process.HasExited) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            Thread.Sleep(50);
        }
        throw new InvalidOperationException($"docker-registry on {Host} did not answer /v2/ within 20 s: {Log}");
    }

    /// <summary>Stops the registry process (SIGKILL to its pid), keeping the storage for a later <see cref="Start"/>.</summary>
    public void Stop()
    {
        var p = process;
        process = null;
        if (p is null) return;
        try
        {
            if (!p.HasExited) p.Kill();
            p.WaitForExit(10_000);
        }
        catch (InvalidOperationException) { }
        p.Dispose();
    }

    /// <summary>What the registry printed (access log and errors), for failure messages.</summary>
    public string Log { get { lock (log) return log.ToString(); } }

    /// <summary>The registry's data file of a blob: docker/registry/v2/blobs/sha256/XX/HEX/data.</summary>
    public string BlobDataPath(string digest)
    {
        string hex = digest.StartsWith("sha256:", StringComparison.Ordinal) ? digest[7..] : digest;
        return Path.Combine(StorageDir, "docker/registry/v2/blobs/sha256", hex[..2], hex, "data");
    }

    /// <summary>skopeo's --dest-creds / --src-creds value for this registry's basic-auth user.</summary>
    public string? Creds => User is null ? null : $"{User}:{Password}";

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        Stop();
        try { Directory.Delete(dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}

/// <summary>The port chosen for a test server was taken before the server could bind it.</summary>
internal sealed class PortTakenException : Exception
{
}
