// EtcFiles: the text of the three files every container gets bind-mounted over its image's own
// copies: /etc/hostname, /etc/hosts and /etc/resolv.conf (kept in the container directory and
// listed as bind mounts by SpecGenerator).
//
// Why: the image's copies describe the machine the image was built on. Docker writes fresh ones
// per container; MiniRun does the same. Written here at create, with Docker's content for
// `--network none`: /etc/hosts has the localhost and IPv6 multicast lines and no line for the
// container's own name (it has no address yet; Network/ContainerNetwork.cs adds its address,
// its name and --add-host lines, and applies --dns*, when it attaches a network at each start); resolv.conf is the host's, minus nameservers
// on loopback addresses (127.0.0.0/8, ::1), which cannot be reached from a new network namespace;
// if none is left, Google's public resolvers 8.8.8.8 and 8.8.4.4 are written, like Docker. Nothing
// is contacted here: these are only lines in a file.
//
// A fourth, empty file is the container marker /.dockerenv (bind-mounted read-only): programs
// test for it to know they run in a container, and the course's handouts are Docker's (podman's
// /run/.containerenv is the other convention; see docs/cli.md).
//
// Follows: hosts(5), resolv.conf(5), hostname(5); Docker's generated /etc/hosts and resolv.conf
// (libnetwork etchosts defaults and resolvconf loopback filtering, systemd-resolved handling).
using System.Net;
using System.Text;

using MiniRun.Kernel;

namespace MiniRun.Spec;

public static class EtcFiles
{
    /// <summary>File names inside the container directory (bind-mount sources).</summary>
    public const string HostnameFile = "hostname";
    public const string HostsFile = "hosts";
    public const string ResolvConfFile = "resolv.conf";
    public const string DockerEnvFile = "dockerenv";

    public const string HostResolvConfPath = "/etc/resolv.conf";
    /// <summary>systemd-resolved's list of real upstream servers (its stub is 127.0.0.53).</summary>
    public const string SystemdResolvConfPath = "/run/systemd/resolve/resolv.conf";

    public static readonly IReadOnlyList<string> DefaultNameservers = new[] { "8.8.8.8", "8.8.4.4" };

    public static string Hostname(string hostname) => hostname + "\n";

    public static string Hosts() =>
        "127.0.0.1\tlocalhost\n" +
        "::1\tlocalhost ip6-localhost ip6-loopback\n" +
        "fe00::0\tip6-localnet\n" +
        "ff00::0\tip6-mcastprefix\n" +
        "ff02::1\tip6-allnodes\n" +
        "ff02::2\tip6-allrouters\n";

    /// <summary>
    /// The container's resolv.conf from the host's text (null = the host has none): every line is
    /// kept except nameserver lines with a loopback address; Docker's default nameservers are added
    /// when no nameserver remains.
    /// </summary>
    public static string ResolvConf(string? hostResolvConf)
    {
        var sb = new StringBuilder();
        int nameservers = 0;
        string body = hostResolvConf ?? "";
        if (body.EndsWith('\n'))
            body = body[..^1]; // so that Split does not yield an extra empty line
        if (body.Length > 0)
        {
            foreach (string raw in body.Split('\n'))
            {
                string line = raw.TrimEnd('\r');
                if (NameserverAddress(line) is IPAddress addr)
                {
                    if (IsLoopback(addr))
                        continue;
                    nameservers++;
                }
                sb.Append(line).Append('\n');
            }
        }
        if (nameservers == 0)
        {
            foreach (string ns in DefaultNameservers)
                sb.Append("nameserver ").Append(ns).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// Picks the host file to base resolv.conf on, like Docker: when /etc/resolv.conf only points at
    /// systemd-resolved's stub (127.0.0.53), use systemd-resolved's list of real servers if present.
    /// </summary>
    public static string? ChooseHostResolvConf(string? etcResolvConf, string? systemdResolvConf)
    {
        if (etcResolvConf == null || systemdResolvConf == null)
            return etcResolvConf;
        var servers = etcResolvConf.Split('\n').Select(l => NameserverAddress(l.TrimEnd('\r'))).OfType<IPAddress>().ToList();
        bool onlyStub = servers.Count > 0 && servers.All(a => a.Equals(IPAddress.Parse("127.0.0.53")));
        return onlyStub ? systemdResolvConf : etcResolvConf;
    }

    /// <summary>Reads the host's resolver configuration (see <see cref="ChooseHostResolvConf"/>); null if there is none.</summary>
    public static string? ReadHostResolvConf() =>
        ChooseHostResolvConf(FileText.ReadIfExists(HostResolvConfPath), FileText.ReadIfExists(SystemdResolvConfPath));

    /// <summary>Writes hostname, hosts and resolv.conf into <paramref name="containerDir"/> (mode 0644).</summary>
    public static void WriteAll(string containerDir, string hostname, string? hostResolvConf)
    {
        Write(Path.Combine(containerDir, HostnameFile), Hostname(hostname));
        Write(Path.Combine(containerDir, HostsFile), Hosts());
        Write(Path.Combine(containerDir, ResolvConfFile), ResolvConf(hostResolvConf));
        Write(Path.Combine(containerDir, DockerEnvFile), "", executable: true);   // Docker's /.dockerenv: empty, mode 0755
    }

    private static void Write(string path, string text, bool executable = false)
    {
        try
        {
            File.WriteAllText(path, text);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead
                    | (executable ? UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute : 0));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"write {path}: {e.Message}", e);
        }
    }

    /// <summary>The address of a `nameserver ADDR` line, or null for any other line.</summary>
    private static IPAddress? NameserverAddress(string line)
    {
        string[] fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 2 || fields[0] != "nameserver")
            return null;
        string addr = fields[1];
        int zone = addr.IndexOf('%');
        if (zone >= 0)
            addr = addr[..zone];
        return IPAddress.TryParse(addr, out var ip) ? ip : null;
    }

    private static bool IsLoopback(IPAddress addr) =>
        IPAddress.IsLoopback(addr) || (addr.IsIPv4MappedToIPv6 && IPAddress.IsLoopback(addr.MapToIPv4()));
}
