// CgroupNamespaceStep: create the container's cgroup namespace, rooted at its own cgroup.
//
// Why here and not in clone: a new cgroup namespace takes as its root the cgroup its creator is
// in at that moment. This process is born in the container's cgroup (clone3 CLONE_INTO_CGROUP),
// or moved there by the parent (cgroup.procs) before it hands over the bundle; only then is the
// namespace created, so inside the container
// /proc/self/cgroup reads "0::/" and a cgroup2 mount at /sys/fs/cgroup shows the container's own
// cgroup as its root - its limits, not the host's tree.
//
// Follows: cgroup_namespaces(7), unshare(2), runtime-spec config-linux.md "Namespaces".
using MiniRun.Runtime;

using MiniRun.Trace;

namespace MiniRun.Init;

public static class CgroupNamespaceStep
{
    public static void Run(InitContext c)
    {
        if (!c.Spec.Linux.Namespaces.Any(n => n.Type == "cgroup" && n.Path is null)) return;
        c.BeginStep(Messages.CgroupNamespaceTitle, Messages.CgroupNamespaceWhy);
        c.Trace.Fact(TraceFact.Namespaces, "cgroup");
        c.Kernel.Unshare(Namespaces.CLONE_NEWCGROUP, "CLONE_NEWCGROUP");
    }
}
