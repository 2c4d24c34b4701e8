// MaskPathsStep: hide and write-protect the /proc and /sys files that expose or control the host.
//
// Why: procfs and sysfs are namespaced only in part. /proc/kcore (host memory), /proc/keys,
// /proc/timer_list and similar reveal the host; /proc/sys and /proc/sysrq-trigger can change it.
// Masked files get /dev/null bind-mounted over them, masked directories an empty read-only
// tmpfs; read-only paths are bind-mounted onto themselves and remounted read-only.
//
// Follows: runtime-spec config-linux.md "Masked Paths" and "Readonly Paths", mount(2).
using MiniRun.Kernel;

namespace MiniRun.Init;

public static class MaskPathsStep
{
    public static void Run(InitContext c)
    {
        var masked = c.Spec.Linux.MaskedPaths ?? [];
        var readOnly = c.Spec.Linux.ReadonlyPaths ?? [];
        if (masked.Count == 0 && readOnly.Count == 0) return;
        c.BeginStep("mask host paths in /proc and /sys",
            "files such as /proc/kcore describe the host: cover them with /dev/null; make /proc/sys and friends read-only");
        foreach (var path in masked)
        {
            if (!c.Kernel.Exists(path)) continue;
            if (c.Kernel.IsDirectory(path))
                c.Kernel.Mount("tmpfs", path, "tmpfs", Libc.MS_RDONLY, null);
            else
                c.Kernel.Mount("/dev/null", path, null, Libc.MS_BIND, null);
        }
        foreach (var path in readOnly)
        {
            if (!c.Kernel.Exists(path)) continue;
            c.Kernel.Mount(path, path, null, Libc.MS_BIND | Libc.MS_REC, null);
            c.Kernel.Mount(null, path, null, Libc.MS_REMOUNT | Libc.MS_BIND | Libc.MS_RDONLY | Libc.MS_NOSUID | Libc.MS_NODEV | Libc.MS_NOEXEC, null);
        }
    }
}
