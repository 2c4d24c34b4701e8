// DeviceSteps: create the device nodes and symlinks a program expects in /dev.
//
// Why: /dev is an empty tmpfs (SpecMountSteps), so the container reaches no host device except
// the harmless ones made here: null, zero, full, random, urandom and tty, plus the usual
// symlinks (/dev/fd, /dev/stdin...) and /dev/ptmx pointing at the container's own devpts.
// Inside a user namespace mknod is not allowed (EPERM); then the host's node is bind-mounted
// instead, as runc does.
//
// Follows: mknod(2), the kernel's admin-guide/devices.txt (major/minor numbers), runtime-spec
// config-linux.md "Default Devices" and "/dev symbolic links".
using MiniRun.Kernel;

namespace MiniRun.Init;

public static class DeviceSteps
{
    /// <summary>runtime-spec's default devices: name, major, minor (all character devices, mode 0666).</summary>
    public static readonly (string Name, uint Major, uint Minor)[] DefaultDevices =
    [
        ("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0),
    ];

    public static readonly (string Link, string Target)[] DefaultLinks =
    [
        ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx"),
    ];

    public static void CreateDevices(InitContext c)
    {
        c.BeginStep("create device nodes in /dev",
            "only these harmless character devices exist in the container; the host's disks and consoles stay unreachable");
        string dev = ScopedPath.Resolve(c.RootfsPath, "/dev");
        bool inUserNamespace = c.Spec.Linux.Namespaces.Any(n => n.Type == "user");
        foreach (var (name, major, minor) in DefaultDevices)
        {
            string path = Path.Combine(dev, name);
            if (c.Kernel.Exists(path)) continue;
            if (inUserNamespace)
            {
                c.Kernel.Touch(path);
                c.Kernel.Mount("/dev/" + name, path, null, Libc.MS_BIND, null);
                continue;
            }
            c.Kernel.Mknod(path, Libc.S_IFCHR | 0x1b6 /*0666*/, major, minor);
            c.Kernel.Chmod(path, 0x1b6);   // mknod's mode is filtered by the umask
        }
        c.BeginStep("create /dev symlinks", "/dev/fd and /dev/std* lead to this process's descriptors; /dev/ptmx to the container's own devpts");
        foreach (var (link, target) in DefaultLinks)
        {
            string path = Path.Combine(dev, link);
            if (!c.Kernel.Exists(path)) c.Kernel.Symlink(target, path);
        }
    }
}
