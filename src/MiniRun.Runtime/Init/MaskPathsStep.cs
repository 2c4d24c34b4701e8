// MaskPathsStep: hide and write-protect the /proc and /sys files that expose or control the host.
//
// Why: procfs and sysfs are namespaced only in part. /proc/kcore (host memory), /proc/keys,
// /proc/timer_list and similar reveal the host; /proc/sys and /proc/sysrq-trigger can change it.
// Masked files get /dev/null bind-mounted over them, masked directories an empty read-only
// tmpfs; read-only paths are bind-mounted onto themselves and remounted read-only.
//
// The mask must be the null device (CVE-2025-31133): /dev/null is the container's, and an image
// (without MiniRun's /dev tmpfs) or a racing container could have made it a symlink to a file
// such as /proc/sys/kernel/core_pattern - the "mask" would then be a writable bind mount of that
// file. So /dev/null is opened once without following a symlink, fstat must show the character
// device 1:3, and that very descriptor is bind-mounted (open_tree + move_mount) over each masked
// file; anything else stops the start.
//
// Follows: runtime-spec config-linux.md "Masked Paths" and "Readonly Paths", mount(2),
// open_tree(2), move_mount(2), the kernel's admin-guide/devices.txt (1:3 is /dev/null).
using MiniRun.Kernel;

using MiniRun.Trace;

namespace MiniRun.Init;

public static class MaskPathsStep
{
    public static void Run(InitContext c)
    {
        var masked = c.Spec.Linux.MaskedPaths ?? [];
        var readOnly = c.Spec.Linux.ReadonlyPaths ?? [];
        if (masked.Count == 0 && readOnly.Count == 0) return;
        c.BeginStep(Messages.MaskTitle, Messages.MaskWhy);
        int devNull = -1;
        try
        {
            foreach (var path in masked)
            {
                if (!c.Kernel.Exists(path)) continue;
                if (c.Kernel.IsDirectory(path))
                    c.Kernel.Mount("tmpfs", path, "tmpfs", Libc.MS_RDONLY, null);
                else
                    c.Kernel.BindMountFd(devNull >= 0 ? devNull : devNull = OpenNullDevice(c), path);
            }
        }
        finally
        {
            if (devNull >= 0) c.Kernel.Close(devNull);
        }
        foreach (var path in readOnly)
        {
            if (!c.Kernel.Exists(path)) continue;
            c.Kernel.Mount(path, path, null, Libc.MS_BIND | Libc.MS_REC, null);
            c.Kernel.Mount(null, path, null, Libc.MS_REMOUNT | Libc.MS_BIND | Libc.MS_RDONLY | Libc.MS_NOSUID | Libc.MS_NODEV | Libc.MS_NOEXEC, null);
        }
    }

    /// <summary>The container's /dev/null, opened without following a symlink, if it is the character device 1:3.</summary>
    public static int OpenNullDevice(InitContext c)
    {
        var (fd, mode, major, minor) = c.Kernel.OpenNoFollow("/dev/null");
        if ((mode & 0xf000) == Libc.S_IFCHR && major == 1 && minor == 3) return fd;
        c.Kernel.Close(fd);
        string what = (mode & 0xf000) switch
        {
            0xa000 => "a symlink", Libc.S_IFREG => "a regular file", Libc.S_IFDIR => "a directory",
            Libc.S_IFCHR => $"the character device {major}:{minor}", Libc.S_IFBLK => $"the block device {major}:{minor}", _ => "not a device",
        };
        throw new InvalidDataException($"mask paths: /dev/null in the container is {what}, not the null device (character 1:3): refusing to mask with it");
    }
}
