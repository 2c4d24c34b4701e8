// DeviceSteps: create the device nodes and symlinks a program expects in /dev.
//
// Why: /dev is an empty tmpfs (SpecMountSteps), so the container reaches no host device except
// the harmless ones made here: null, zero, full, random, urandom and tty, plus the usual
// symlinks (/dev/fd, /dev/stdin...) and /dev/ptmx pointing at the container's own devpts.
// Inside a user namespace mknod is not allowed (EPERM); then the host's node is bind-mounted
// instead, as runc does. When the device list is kept without a cgroup (NodevDeviceSteps), /dev
// is nodev and each node made here that the list allows becomes a bind mount of its own.
// linux.devices adds nodes the spec asks for (a FUSE device, a GPU...), at any absolute path in
// the container, with their type, numbers, mode and owner; a spec device at the path of a
// default one (/dev/null) replaces it. Order per node: mknod (the mode is filtered by the
// umask), chmod to the exact mode, chown.
//
// Follows: mknod(2), chmod(2), chown(2), the kernel's admin-guide/devices.txt (major/minor
// numbers), runtime-spec config-linux.md "Devices", "Default Devices" and "/dev symbolic links".
using MiniRun.Kernel;
using MiniRun.Spec;

using MiniRun.Trace;

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
        c.BeginStep(Messages.DevicesTitle, Messages.DevicesWhy);
        string dev = ScopedPath.Resolve(c.RootfsPath, "/dev");
        bool inUserNamespace = c.Spec.Linux.Namespaces.Any(n => n.Type == "user");
        var specDevices = c.Spec.Linux.Devices ?? [];
        foreach (var (name, major, minor) in DefaultDevices)
        {
            string path = Path.Combine(dev, name);
            if (c.Kernel.Exists(path) || specDevices.Any(d => d.Path == "/dev/" + name)) continue;
            if (inUserNamespace)
            {
                c.Kernel.Touch(path);
                c.Kernel.Mount("/dev/" + name, path, null, Libc.MS_BIND, null);
                continue;
            }
            c.Kernel.Mknod(path, Libc.S_IFCHR | 0x1b6 /*0666*/, major, minor);
            c.Kernel.Chmod(path, 0x1b6);   // mknod's mode is filtered by the umask
            NodevDeviceSteps.Expose(c, path, 'c', major, minor);
        }
        if (specDevices.Count > 0)
        {
            c.BeginStep(Messages.SpecDevicesTitle, Messages.SpecDevicesWhy);
            foreach (var d in specDevices) CreateSpecDevice(c, d, inUserNamespace);
        }
        c.BeginStep(Messages.DevLinksTitle, Messages.DevLinksWhy);
        foreach (var (link, target) in DefaultLinks)
        {
            string path = Path.Combine(dev, link);
            if (!c.Kernel.Exists(path)) c.Kernel.Symlink(target, path);
        }
    }

    /// <summary>One linux.devices entry: mknod, chmod, chown (or a bind mount of the host's node in a user namespace).</summary>
    public static void CreateSpecDevice(InitContext c, SpecDevice d, bool inUserNamespace)
    {
        string path = ScopedPath.Resolve(c.RootfsPath, d.Path);
        // runtime-spec: a file already at the path that is not this device is an error.
        if (c.Kernel.Exists(path))
            throw new InvalidDataException($"linux.devices: {d.Path} already exists in the container");
        SpecMountSteps.MkdirAll(c, c.RootfsPath, Path.GetDirectoryName(path)!);
        uint type = d.Type switch
        {
            "c" or "u" => Libc.S_IFCHR,
            "b" => Libc.S_IFBLK,
            "p" => Libc.S_IFIFO,
            _ => throw new InvalidDataException($"linux.devices: {d.Path} has type {GoQuote.Quote(d.Type)} (c, b, u or p)"),
        };
        uint mode = (d.FileMode ?? 0x1b6 /*0666*/) & 0xfff;
        if (inUserNamespace && type != Libc.S_IFIFO)
        {
            // mknod of a device needs CAP_MKNOD in the initial user namespace: use the host's node.
            c.Kernel.Touch(path);
            c.Kernel.Mount(d.Path, path, null, Libc.MS_BIND, null);
            NodevDeviceSteps.WithholdBound(c, path, type == Libc.S_IFBLK ? 'b' : 'c', d.Major ?? 0, d.Minor ?? 0);
            return;
        }
        c.Kernel.Mknod(path, type | mode, type == Libc.S_IFIFO ? 0 : (uint)(d.Major ?? 0), type == Libc.S_IFIFO ? 0 : (uint)(d.Minor ?? 0));
        c.Kernel.Chmod(path, mode);   // mknod's mode is filtered by the umask
        if (d.Uid is not null || d.Gid is not null)
            c.Kernel.Chown(path, d.Uid ?? uint.MaxValue, d.Gid ?? uint.MaxValue);   // -1: leave unchanged (chown(2))
        if (type != Libc.S_IFIFO)
            NodevDeviceSteps.Expose(c, path, type == Libc.S_IFBLK ? 'b' : 'c', d.Major ?? 0, d.Minor ?? 0);
    }
}
