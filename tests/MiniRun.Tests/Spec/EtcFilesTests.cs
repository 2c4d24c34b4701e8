// Tests of EtcFiles: /etc/hostname, /etc/hosts and resolv.conf text, and writing them.
using MiniRun.Spec;

namespace MiniRun.Tests.Spec;

public class EtcFilesTests
{
    [Fact]
    public void HostnameFile() => Assert.Equal("web1\n", EtcFiles.Hostname("web1"));

    [Fact]
    public void HostsMatchesDockerWithNetworkNone()
    {
        Assert.Equal(
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n" +
            "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n",
            EtcFiles.Hosts());
    }

    [Fact]
    public void ResolvConfKeepsEverythingButLoopbackNameservers()
    {
        string host = "# from dhcp\nsearch example.org\nnameserver 127.0.0.1\nnameserver 10.0.0.2\n" +
                      "nameserver ::1\nnameserver 127.0.1.1\noptions ndots:2\nnameserver 2001:db8::1\n";
        Assert.Equal("# from dhcp\nsearch example.org\nnameserver 10.0.0.2\noptions ndots:2\nnameserver 2001:db8::1\n",
            EtcFiles.ResolvConf(host));
    }

    [Fact]
    public void ResolvConfAddsDockerDefaultsWhenOnlyLoopbackNameservers()
    {
        string host = "search lan\nnameserver 127.0.0.53\noptions edns0 trust-ad\n";
        Assert.Equal("search lan\noptions edns0 trust-ad\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n", EtcFiles.ResolvConf(host));
    }

    [Fact]
    public void ResolvConfWithoutTrailingNewlineOrWithCrLf()
    {
        Assert.Equal("nameserver 1.1.1.1\n", EtcFiles.ResolvConf("nameserver 1.1.1.1"));
        Assert.Equal("nameserver 1.1.1.1\n", EtcFiles.ResolvConf("nameserver 1.1.1.1\r\nnameserver 127.0.0.1\r\n"));
        Assert.Equal("search x\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n", EtcFiles.ResolvConf("search x"));
    }

    [Fact]
    public void ResolvConfFromNothing()
    {
        const string defaults = "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";
        Assert.Equal(defaults, EtcFiles.ResolvConf(null));
        Assert.Equal(defaults, EtcFiles.ResolvConf(""));
    }

    [Fact]
    public void ResolvConfDropsMappedAndScopedLoopback()
    {
        string host = "nameserver ::ffff:127.0.0.1\nnameserver ::1%lo\nnameserver fe80::1%eth0\n";
        Assert.Equal("nameserver fe80::1%eth0\n", EtcFiles.ResolvConf(host));
    }

    [Fact]
    public void ChooseHostResolvConfPrefersSystemdUpstreamsOverStub()
    {
        const string stub = "nameserver 127.0.0.53\noptions edns0\n";
        const string upstream = "nameserver 192.168.1.1\n";
        Assert.Equal(upstream, EtcFiles.ChooseHostResolvConf(stub, upstream));
        Assert.Equal(stub, EtcFiles.ChooseHostResolvConf(stub, null));
        Assert.Equal("nameserver 9.9.9.9\n", EtcFiles.ChooseHostResolvConf("nameserver 9.9.9.9\n", upstream));
        Assert.Null(EtcFiles.ChooseHostResolvConf(null, upstream));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void WriteAllCreatesTheThreeFiles()
    {
        using var dir = new SpecTempDir();
        EtcFiles.WriteAll(dir.Path, "box", "nameserver 127.0.0.1\n");
        Assert.Equal("box\n", File.ReadAllText(Path.Combine(dir.Path, "hostname")));
        Assert.Equal(EtcFiles.Hosts(), File.ReadAllText(Path.Combine(dir.Path, "hosts")));
        Assert.Equal("nameserver 8.8.8.8\nnameserver 8.8.4.4\n", File.ReadAllText(Path.Combine(dir.Path, "resolv.conf")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            File.GetUnixFileMode(Path.Combine(dir.Path, "hosts")));
    }
}
