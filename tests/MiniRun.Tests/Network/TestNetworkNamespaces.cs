// TestNetworkNamespaces: network namespaces a test creates under its own temporary directory: "host"
// (the test's stand-in for the machine's namespace) and "ctr" (a container's), each held by a bind
// mount (NetworkNamespace.Create), with a descriptor and an RtNetlink socket opened inside.
//
// Why: networking tests must never create anything in the machine's own network namespace.
// Everything here happens inside namespaces made for the test, and Dispose removes them even when
// the test failed: closing the sockets and descriptors and unmounting the files frees the
// namespaces, and the kernel deletes every interface still in them.
using System.Diagnostics;
using MiniRun.Network;
using MiniRun.Trace;

namespace MiniRun.Tests.Network;

public sealed class TestNetworkNamespaces : IDisposable
{
    private readonly List<IDisposable> _sockets = new();
    private readonly List<int> _fds = new();
    private readonly List<string> _paths = new();

    public string Dir { get; } = Directory.CreateTempSubdirectory("minirun-netlink-").FullName;

    /// <summary>A new namespace on Dir/<paramref name="name"/>, its descriptor, and a socket inside it narrating on <paramref name="trace"/>.</summary>
    public (string Path, int Fd, RtNetlink Netlink) Create(string name, ITrace? trace = null)
    {
        string path = System.IO.Path.Combine(Dir, name);
        _paths.Add(path);
        NetworkNamespace.Create(path, trace ?? NullTrace.Instance);
        int fd = NetworkNamespace.OpenFd(path);
        _fds.Add(fd);
        var netlink = RtNetlink.OpenIn(fd, trace ?? NullTrace.Instance);
        _sockets.Add(netlink);
        return (path, fd, netlink);
    }

    public void Dispose()
    {
        foreach (var s in _sockets) s.Dispose();
        foreach (int fd in _fds) MiniRun.Kernel.Libc.close(fd);
        foreach (var p in _paths) NetworkNamespace.Remove(p, NullTrace.Instance);
        Directory.Delete(Dir, recursive: true);
    }

    /// <summary>Runs a command (`nsenter --net=PATH ip ...`) and returns its exit code and output.</summary>
    public static (int Exit, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }

    /// <summary>`ip ARGS` inside the namespace on <paramref name="path"/>: the independent view of what netlink did.</summary>
    public static string Ip(string path, params string[] args)
    {
        var (exit, output) = Run("nsenter", ["--net=" + path, "ip", .. args]);
        Assert.True(exit == 0, $"ip {string.Join(' ', args)}: {output}");
        return output;
    }
}
