// SpecMountSteps: mount every filesystem the runtime spec lists, in its order, under the rootfs.
//
// Why: a process expects /proc, /sys, /dev and friends. Each gets a fresh instance tied to the
// container's namespaces rather than the host's: a procfs that shows only the new PID
// namespace, a read-only sysfs, an empty tmpfs /dev, a new devpts instance, and MiniRun's own
// /etc/hostname, /etc/hosts and /etc/resolv.conf bind-mounted over the image's.
//
// Order within one mount: resolve the target inside the rootfs (ScopedPath: a symlink cannot lead
// out), create it, mount; a bind mount with ro/nosuid/nodev/noexec/atime words is remounted
// (MS_REMOUNT|MS_BIND); the recursive words (rro, rnosuid, ...) then apply to the whole subtree
// (mount_setattr AT_RECURSIVE); propagation words (shared, rslave, ...) are a last, separate call.
//
// Never outside the rootfs, even racing (CVE-2021-30465): the rootfs may hold a volume another
// container writes to, which can swap a directory for a symlink between any two of our steps.
// So directories and files are created with mkdirat/openat in a parent that openat2 resolved
// with RESOLVE_IN_ROOT, and every mount call names its target as /proc/self/fd/N of a descriptor
// openat2(RESOLVE_IN_ROOT) returned (the host's /proc: this runs before pivot_root). procfs and
// sysfs are refused on a destination that is a symlink in the rootfs (CVE-2019-19921,
// CVE-2023-27561: procfs mounted elsewhere leaves /proc to the image, and the masks to nothing).
// Without a cgroup for the device list every mount but devpts also gets nodev (NodevDeviceSteps).
//
// Follows: runtime-spec config.md "Mounts", mount(2), mount(8) options, mount_namespaces(7), proc(5), sysfs(5),
// devpts in the kernel's filesystems/devpts.rst, openat2(2) RESOLVE_IN_ROOT.
using MiniRun.Kernel;
using MiniRun.Spec;

using MiniRun.Trace;

namespace MiniRun.Init;

public static class SpecMountSteps
{
    private static readonly Dictionary<string, Narration> Why = new()
    {
        ["/proc"] = Messages.MountWhyProc,
        ["/sys"] = Messages.MountWhySys,
        ["/dev"] = Messages.MountWhyDev,
        ["/dev/pts"] = Messages.MountWhyPts,
        ["/dev/shm"] = Messages.MountWhyShm,
        ["/dev/mqueue"] = Messages.MountWhyMqueue,
        ["/sys/fs/cgroup"] = Messages.MountWhyCgroup,
        ["/etc/hostname"] = Messages.MountWhyEtcFile,
        ["/etc/hosts"] = Messages.MountWhyEtcFile,
        ["/etc/resolv.conf"] = Messages.MountWhyResolv,
    };

    public static void MountAll(InitContext c)
    {
        foreach (var m in c.Spec.Mounts)
            MountOne(c, m);
    }

    public static void MountOne(InitContext c, SpecMount m)
    {
        if (!m.Destination.StartsWith('/'))
            throw new InvalidDataException($"mount destination {GoQuote.Quote(m.Destination)} is not absolute");
        var opts = MountOptions.Parse(m.Options);
        bool bind = opts.IsBind || m.Type == "bind";
        // type "cgroup" (what runc's and umoci's specs write) means "the cgroup filesystem": MiniRun is
        // cgroup v2 only, so it is the container's cgroup2 view, as on a cgroup v2 host with runc.
        string type = bind ? "bind" : m.Type == "cgroup" ? "cgroup2" : m.Type ?? "none";
        opts = NodevDeviceSteps.ForMount(c, type, opts);   // the device list without a cgroup: no device opens here
        c.BeginStep(Messages.MountTitle.With(type, m.Destination), Why.GetValueOrDefault(m.Destination, Messages.MountWhySpec));
        c.Trace.Fact(TraceFact.Mounts, $"{type} {m.Destination}");

        string root = c.RootfsPath;
        if (type is "proc" or "sysfs")
            RefuseSymlink(c, m.Destination, type);
        string target = ScopedPath.Resolve(root, m.Destination);
        string? source = m.Source;
        if (bind)
        {
            // runtime-spec: a bind mount's source is absolute or relative to the bundle.
            source = source is null ? throw new InvalidDataException($"bind mount on {m.Destination} has no source")
                : Path.IsPathRooted(source) ? source : Path.GetFullPath(Path.Combine(c.BundleDir, source));
            if (c.Kernel.IsDirectory(source)) MkdirAll(c, root, target);
            else { MkdirAll(c, root, Path.GetDirectoryName(target)!); c.Kernel.TouchInRoot(root, target); }
            OnPinned(c, target, at => c.Kernel.Mount(source, at, null, Libc.MS_BIND | (opts.Flags & Libc.MS_REC), null));
            OnPinned(c, target, at => RemountBind(c, at, opts));
        }
        else
        {
            MkdirAll(c, root, target);
            OnPinned(c, target, at => c.Kernel.Mount(source ?? type, at, type, opts.Flags, opts.Data));
        }
        // Recursive words (rro, rnosuid, ...) reach every mount below too: mount_setattr(2), Linux 5.12+.
        if (opts.IsRecursiveAttr)
            OnPinned(c, target, at => c.Kernel.MountSetattrRecursive(at, opts.RecursiveSet, opts.RecursiveClear));
        if (opts.PropagationFlags != 0)
            OnPinned(c, target, at => c.Kernel.Mount(null, at, null, opts.PropagationFlags, null));
    }

    /// <summary>
    /// Runs <paramref name="use"/> with "/proc/self/fd/N", N a descriptor of <paramref name="target"/>
    /// that openat2 resolved inside the rootfs: what the mount call acts on is what the kernel found
    /// there in one lookup (opened again for each call: after a mount, the path leads to the new one).
    /// </summary>
    private static void OnPinned(InitContext c, string target, Action<string> use)
    {
        int fd = c.Kernel.OpenInRoot(c.RootfsPath, target);
        try { use($"/proc/self/fd/{fd}"); }
        finally { c.Kernel.Close(fd); }
    }

    /// <summary>procfs and sysfs only on a real directory: an image's /proc -> elsewhere is refused, not followed.</summary>
    private static void RefuseSymlink(InitContext c, string destination, string type)
    {
        string path = c.RootfsPath;
        foreach (var part in destination.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            path = Path.Combine(path, part);
            uint mode;
            try
            {
                var (fd, m, _, _) = c.Kernel.OpenNoFollow(path);
                c.Kernel.Close(fd);
                mode = m;
            }
            catch (KernelException e) when (e.Errno is Errno.ENOENT or Errno.ENOTDIR) { return; }   // missing: created below, as a directory
            if ((mode & 0xf000) == 0xa000 /*S_IFLNK*/)
                throw new InvalidDataException($"mount {type} on {destination}: /{Path.GetRelativePath(c.RootfsPath, path)} in the rootfs is a symlink; " +
                    $"{type} is mounted only on a real directory (a symlink would move it where the image chose)");
        }
    }

    /// <summary>
    /// A new bind mount has its source's flags and ignores ro, nosuid, nodev, noexec and the atime
    /// words given with MS_BIND (mount(8) "The bind mount operation"; mount(2) "Creating a bind
    /// mount"). A second call, MS_REMOUNT|MS_BIND, sets them on this mount only. MS_REMOUNT
    /// replaces every per-mount flag, so the flags the mount has (statvfs) are passed along -
    /// inside a user namespace the kernel refuses (EPERM) to drop a locked nosuid or nodev.
    /// With rbind, only the top mount changes; the submounts keep their own flags (rro and the
    /// other recursive words reach them).
    /// </summary>
    private static void RemountBind(InitContext c, string target, ParsedMountOptions opts)
    {
        if (((opts.Flags | opts.Cleared) & MountOptions.PerMountFlags) == 0) return;
        ulong current = c.Kernel.MountFlags(target) & MountOptions.PerMountFlags;
        ulong wanted = opts.RemountFlags(current);
        if (wanted != current)
            c.Kernel.Mount(null, target, null, Libc.MS_REMOUNT | Libc.MS_BIND | wanted, null);
    }

    /// <summary>mkdir -p, for a path already scoped to <paramref name="root"/>; each mkdirat in a parent resolved inside root.</summary>
    public static void MkdirAll(InitContext c, string root, string path)
    {
        if (c.Kernel.Exists(path) || path == root) return;
        string? parent = Path.GetDirectoryName(path);
        if (parent is not null && parent != path) MkdirAll(c, root, parent);
        c.Kernel.MkdirInRoot(root, path, 0x1ed /*0755*/);
    }
}
