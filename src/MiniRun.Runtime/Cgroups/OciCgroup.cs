// OciCgroup: the container's cgroup as config.json's linux.cgroupsPath names it.
//
// Why: an engine decides where its containers' cgroups live (containerd: /default/ID or
// /k8s.io/ID, podman: machine.slice/libpod-ID); the runtime creates exactly that directory in
// the cgroup2 hierarchy, puts the container's first process in it before init runs a single
// step (so everything the container starts is born inside), and removes it on delete. A bare
// cgroupsPath with no limits needs no controllers, so it works even where cgroup v2 is only a
// side hierarchy (hybrid hosts such as the development machine: /sys/fs/cgroup/unified); limits
// need a pure cgroup v2 host. Parents the path names are created when missing and left in
// place afterwards (other containers share them); only the container's own directory is removed.
// The systemd form "slice:prefix:name" needs a systemd cgroup driver, which MiniRun does not
// have: it is refused by name.
//
// Follows: runtime-spec config-linux.md "Cgroups Path"; Documentation/admin-guide/cgroup-v2.rst.
using MiniRun.Runtime;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Cgroups;

public static class OciCgroup
{
    /// <summary>The container's cgroup, created; null when config.json names none.</summary>
    public static Cgroup? Create(RuntimeSpec spec, ITrace? trace, string mountRoot = "/sys/fs/cgroup")
    {
        string? path = spec.Linux.CgroupsPath;
        if (string.IsNullOrEmpty(path)) return null;
        if (path.Contains(':'))
            throw new RuntimeException($"config.json: linux.cgroupsPath \"{path}\" is in systemd's slice:prefix:name form; MiniRun manages cgroups itself (no --systemd-cgroup)");
        var host = CgroupV2Host.Detect(mountRoot);
        if (host.MountPoint is null)
            throw new RuntimeException($"config.json: linux.cgroupsPath \"{path}\" needs a cgroup2 filesystem; this host: {host.Description}");
        string relative = path.Trim('/');
        if (relative.Length == 0 || relative.Split('/').Any(p => p is "" or "." or ".."))
            throw new RuntimeException($"config.json: linux.cgroupsPath \"{path}\" must name a cgroup below the root, without '.' or '..'");
        string? parent = Path.GetDirectoryName(relative);
        return Cgroup.Create(host.MountPoint, Path.GetFileName(relative), [], string.IsNullOrEmpty(parent) ? "" : parent, trace: trace);
    }
}
