// SysctlStep: write the kernel parameters of linux.sysctl ("net.ipv4.ip_forward": "1") into
// /proc/sys - only those the kernel keeps per namespace, and only when the container has that
// namespace of its own.
//
// Why: most of /proc/sys is global: kernel.panic or vm.swappiness written from a container
// would change the host. A few parameters belong to a namespace, so a container can have its
// own value without touching the host's:
//   - IPC namespace: kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*
//   - UTS namespace: kernel.hostname, kernel.domainname
//   - network namespace: net.* (a new network namespace has its own /proc/sys/net)
// Any other key is refused, and so is a namespaced key when the container shares (or joins)
// that namespace instead of creating it. Every key is checked before the first write. (A
// global net.* parameter such as net.core.netdev_max_backlog is simply absent from a new
// network namespace's /proc/sys/net: writing it fails with ENOENT, the host's stays.)
// A key is dotted (net.ipv4.ip_forward) or, as sysctl(8) also allows, slashed
// (net/ipv4/conf/eth0.100/forwarding, for names that contain dots).
//
// The write goes through a procfs instance of init's own (Kernel/PrivateProc.cs), not the
// container's /proc: a bind mount laid over /proc/sys/... by the bundle or a racing container
// cannot redirect it to another file (CVE-2025-52881).
//
// Order constraints: after the container's own /proc is mounted and pivot_root made it /proc,
// and before MaskPaths remounts /proc/sys read-only.
//
// Follows: sysctl(8), proc(5) /proc/sys, ipc_namespaces(7), uts_namespaces(7),
// network_namespaces(7), runtime-spec config-linux.md "Sysctl".
using MiniRun.Trace;

namespace MiniRun.Init;

public static class SysctlStep
{
    private const string Allowed = "allowed: kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.* with a new IPC namespace; " +
        "kernel.hostname, kernel.domainname with a new UTS namespace; net.* with a new network namespace";

    public static void Run(InitContext c)
    {
        var sysctl = c.Spec.Linux.Sysctl;
        if (sysctl is null || sysctl.Count == 0) return;
        c.BeginStep(Messages.SysctlTitle.With(sysctl.Count), Messages.SysctlWhy);
        var writes = sysctl.Select(kv => (Path: PathOf(c, kv.Key), kv.Value)).ToList();   // all checked before the first write
        foreach (var (path, value) in writes)
            c.Kernel.WriteProcFile(path, value);   // through MiniRun's own procfs: no mount over /proc/sys/... redirects it
    }

    /// <summary>The /proc/sys file of a key, after checking that writing it cannot change the host.</summary>
    public static string PathOf(InitContext c, string key)
    {
        var parts = key.Split(key.Contains('/') ? '/' : '.');
        if (parts.Any(p => p.Length == 0 || p == "." || p == ".."))
            throw new InvalidDataException($"sysctl {GoQuote.Quote(key)} is not a kernel parameter name");
        string dotted = string.Join('.', parts);
        string? needs = dotted switch
        {
            _ when dotted.StartsWith("kernel.shm", StringComparison.Ordinal) || dotted.StartsWith("kernel.msg", StringComparison.Ordinal)
                || dotted == "kernel.sem" || dotted.StartsWith("fs.mqueue.", StringComparison.Ordinal) => "ipc",
            "kernel.hostname" or "kernel.domainname" => "uts",
            _ when dotted.StartsWith("net.", StringComparison.Ordinal) => "network",
            _ => null,
        };
        if (needs is null)
            throw new InvalidDataException($"sysctl {GoQuote.Quote(key)} is not namespaced: writing it would change the host ({Allowed})");
        if (!c.Spec.Linux.Namespaces.Any(n => n.Type == needs && n.Path is null))
            throw new InvalidDataException($"sysctl {GoQuote.Quote(key)} needs a new {(needs == "ipc" ? "IPC" : needs == "uts" ? "UTS" : needs)} namespace: without one writing it would change the host");
        return "/proc/sys/" + string.Join('/', parts);
    }
}
