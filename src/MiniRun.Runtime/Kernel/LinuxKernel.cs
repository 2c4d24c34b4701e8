// LinuxKernel: the real implementation of the IKernel seam, with `--trace` narration built in.
//
// Why here: each method makes exactly one kernel call (or a tiny fixed sequence), formats the
// call as C would write it, and reports it to the trace with its result before returning or
// throwing. So what a student reads under --trace is, by construction, what ran.
//
// Follows: the man pages named in IKernel and the Interop.* files.
using System.Runtime.InteropServices;
using System.Text;
using MiniRun.Trace;
using static MiniRun.Trace.TraceFormat;

namespace MiniRun.Kernel;

public sealed unsafe partial class LinuxKernel : IKernel
{
    private readonly ITrace _trace;

    public LinuxKernel(ITrace? trace = null) => _trace = trace ?? NullTrace.Instance;

    private void Check(int rc, string call, string operation)
    {
        if (rc < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (_trace.Enabled) _trace.Call(call, $"-1 {Errno.Name(errno)}");
            throw new KernelException(operation, errno);
        }
        if (_trace.Enabled) _trace.Call(call, rc.ToString());
    }

    public void Mount(string? source, string target, string? fstype, ulong flags, string? data)
    {
        string call = _trace.Enabled ? $"mount({Q(source)}, {Q(target)}, {Q(fstype)}, {MountOptions.FlagNames(flags)}, {Q(data)})" : "";
        string what = (flags & Libc.MS_BIND) != 0 ? $"bind {source}" : (flags & (Libc.MS_PRIVATE | Libc.MS_SLAVE | Libc.MS_SHARED)) != 0 && fstype is null
            ? $"set propagation {MountOptions.FlagNames(flags)}" : fstype ?? source ?? "";
        Check(Libc.mount(source, target, fstype, flags, data), call, $"mount {what} on {target}");
    }

    public void Unmount(string target, int flags) =>
        Check(Libc.umount2(target, flags), $"umount2({Q(target)}, {(flags == Libc.MNT_DETACH ? "MNT_DETACH" : flags.ToString())})", $"umount {target}");

    public void PivotRoot(string newRoot, string putOld) =>
        Check((int)Libc.syscall_pivot_root(Libc.SYS_pivot_root, newRoot, putOld), $"pivot_root({Q(newRoot)}, {Q(putOld)})", $"pivot_root {newRoot} {putOld}");

    public void Chdir(string path) => Check(Libc.chdir(path), $"chdir({Q(path)})", $"chdir {path}");

    public void Fchdir(int fd) => Check(Libc.fchdir(fd), $"fchdir({fd})", $"fchdir {fd}");

    public void Mkdir(string path, uint mode)
    {
        int rc = Libc.mkdir(path, mode);
        if (rc < 0 && Marshal.GetLastPInvokeError() == Errno.EEXIST && Directory.Exists(path)) return;
        Check(rc, $"mkdir({Q(path)}, 0{Convert.ToString(mode, 8)})", $"mkdir {path}");
    }

    public void Touch(string path)
    {
        if (Path.Exists(path)) return;
        int fd = Libc.open(path, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_CLOEXEC | Libc.O_NOFOLLOW, 0x1a4 /*0644*/);
        Check(fd, $"open({Q(path)}, O_CREAT, 0644)", $"create {path}");
        Libc.close(fd);
    }

    public void Mknod(string path, uint mode, uint major, uint minor) =>
        Check(Libc.mknod(path, mode, Libc.Makedev(major, minor)),
            $"mknod({Q(path)}, {FileType(mode)}|0{Convert.ToString(mode & 0xfff, 8)}, makedev({major}, {minor}))",
            $"mknod {path} ({major}:{minor})");

    private static string FileType(uint mode) => (mode & 0xf000) switch
    {
        Libc.S_IFCHR => "S_IFCHR", Libc.S_IFBLK => "S_IFBLK", Libc.S_IFIFO => "S_IFIFO", _ => $"0x{mode & 0xf000:x}",
    };

    public void Symlink(string target, string linkPath) =>
        Check(Libc.symlink(target, linkPath), $"symlink({Q(target)}, {Q(linkPath)})", $"symlink {linkPath} -> {target}");

    public void Chmod(string path, uint mode) =>
        Check(Libc.chmod(path, mode), $"chmod({Q(path)}, 0{Convert.ToString(mode, 8)})", $"chmod {path}");

    public void Sethostname(string name)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(name);
        fixed (byte* p = bytes)
            Check(Libc.sethostname(p, (nuint)bytes.Length), $"sethostname({Q(name)}, {bytes.Length})", $"sethostname {name}");
    }

    public void Unshare(int flags, string what) =>
        Check(Libc.unshare(flags), $"unshare({what})", $"unshare {what}");

    public void InterfaceUp(string name)
    {
        int fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        Check(fd, "socket(AF_INET, SOCK_DGRAM, 0)", "socket for interface ioctl");
        try
        {
            var req = new Libc.ifreq();
            byte[] n = Encoding.ASCII.GetBytes(name);
            if (n.Length > 15) throw new ArgumentException($"interface name too long: {name}");
            byte* b = (byte*)&req;
            for (int i = 0; i < n.Length; i++) b[i] = n[i];
            Check(Libc.ioctl(fd, Libc.SIOCGIFFLAGS, &req), $"ioctl(SIOCGIFFLAGS, {Q(name)})", $"get flags of {name}");
            req.ifr_flags |= Libc.IFF_UP;
            Check(Libc.ioctl(fd, Libc.SIOCSIFFLAGS, &req), $"ioctl(SIOCSIFFLAGS, {Q(name)}, IFF_UP)", $"bring up {name}");
        }
        finally { Libc.close(fd); }
    }

    public void SetGroups(IReadOnlyList<uint> gids)
    {
        uint[] list = gids.ToArray();
        fixed (uint* p = list)
            Check(Libc.setgroups((nuint)list.Length, p), $"setgroups({list.Length}, [{string.Join(", ", list)}])", "setgroups");
    }

    public void SetResGid(uint gid) => Check(Libc.setresgid(gid, gid, gid), $"setresgid({gid}, {gid}, {gid})", $"setresgid {gid}");
    public void SetResUid(uint uid) => Check(Libc.setresuid(uid, uid, uid), $"setresuid({uid}, {uid}, {uid})", $"setresuid {uid}");

    public void SetControllingTerminal(int fd)
    {
        Check(Libc.setsid(), "setsid()", "setsid");
        Check(Libc.ioctl(fd, Libc.TIOCSCTTY, null), $"ioctl({fd}, TIOCSCTTY, 0)", "make the terminal the controlling terminal");
    }

    public void Dup2(int from, int to) => Check(Libc.dup2(from, to), $"dup2({from}, {to})", $"dup2 {from} {to}");

    public (int Master, int Slave, string SlavePath) OpenPseudoTerminal(ushort rows, ushort columns)
    {
        int master = Libc.open("/dev/ptmx", Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC, 0);
        Check(master, "open(\"/dev/ptmx\", O_RDWR|O_NOCTTY)", "open /dev/ptmx");
        int unlock = 0, number = 0;
        Check(Libc.ioctl(master, Libc.TIOCSPTLCK, &unlock), $"ioctl({master}, TIOCSPTLCK, 0)", "unlock the pseudo-terminal");
        Check(Libc.ioctl(master, Libc.TIOCGPTN, &number), $"ioctl({master}, TIOCGPTN)", "get the pseudo-terminal number");
        string slavePath = $"/dev/pts/{number}";
        // The slave from the master itself, not by its path: a /dev/pts/N swapped for a symlink
        // (CVE-2025-52565) would hand the container a file of its choosing as its terminal.
        int slave = Libc.ioctl(master, MiniRun.Runtime.ExecNative.TIOCGPTPEER, (void*)(nint)(Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC));
        Check(slave, $"ioctl({master}, TIOCGPTPEER, O_RDWR|O_NOCTTY)", $"open the slave of {slavePath}");
        if (rows > 0 && columns > 0)
        {
            var ws = new Libc.winsize { ws_row = rows, ws_col = columns };
            Check(Libc.ioctl(slave, Libc.TIOCSWINSZ, &ws), $"ioctl({slave}, TIOCSWINSZ, {{{rows} rows, {columns} columns}})", "set the window size");
        }
        return (master, slave, slavePath);
    }

    public unsafe void WaitForStart(int fifoFd)
    {
        byte b;
        nint n;
        while ((n = Libc.read(fifoFd, &b, 1)) < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) { }
        if (n < 0) throw new KernelException("read exec.fifo", Marshal.GetLastPInvokeError());
        _trace.Call("read(exec.fifo, 1)", Messages.ResultStartWrote.Text);
    }

    public void Close(int fd) => Libc.close(fd);

    public void CloseOnExecFrom(int first) =>
        Check((int)Libc.syscall_close_range(Libc.SYS_close_range, (uint)first, uint.MaxValue, 4 /*CLOSE_RANGE_CLOEXEC*/),
            $"close_range({first}, ~0U, CLOSE_RANGE_CLOEXEC)", "close_range");

    public string? ReadFile(string path)
    {
        try { return File.ReadAllText(path); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
    }

    public bool IsExecutable(string path) =>
        File.Exists(path) && Libc.access(path, Libc.X_OK) == 0;

    public bool Exists(string path) => Path.Exists(path) || new FileInfo(path).LinkTarget is not null;

    public bool IsDirectory(string path) => Directory.Exists(path);

    public void Execve(string path, IReadOnlyList<string> argv, IReadOnlyList<string> envp)
    {
        if (_trace.Enabled)
            _trace.Call($"execve({Q(path)}, [{string.Join(", ", argv.Select(a => Q(a)))}], [{envp.Count} variables])",
                Messages.ResultExecveInit.Text);
        using var native = new NativeStrings(path, argv, envp);
        Libc.execve(native.Path, native.Argv, native.Envp);
        int errno = Marshal.GetLastPInvokeError();
        throw new KernelException($"exec {path}", errno);
    }

    public void KeepCapabilities() =>
        Check(Libc.prctl(Libc.PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl(PR_SET_KEEPCAPS, 1)", "prctl(PR_SET_KEEPCAPS, 1)");

    public void DropBoundingCapability(int cap)
    {
        string call = $"prctl(PR_CAPBSET_DROP, {CapabilityNames.Name(cap)})";
        Check(Libc.prctl(Libc.PR_CAPBSET_DROP, (nuint)cap, 0, 0, 0), call, call);
    }

    public void SetCapabilities(ulong effective, ulong permitted, ulong inheritable)
    {
        var header = new Libc.cap_user_header { version = Libc._LINUX_CAPABILITY_VERSION_3, pid = 0 };
        var data = stackalloc Libc.cap_user_data[2];
        data[0] = new Libc.cap_user_data { effective = (uint)effective, permitted = (uint)permitted, inheritable = (uint)inheritable };
        data[1] = new Libc.cap_user_data { effective = (uint)(effective >> 32), permitted = (uint)(permitted >> 32), inheritable = (uint)(inheritable >> 32) };
        string call = $"capset({{_LINUX_CAPABILITY_VERSION_3, 0}}, {{effective={CapabilityNames.Format(effective)}, " +
            $"permitted={CapabilityNames.Format(permitted)}, inheritable={CapabilityNames.Format(inheritable)}}})";
        Check(Libc.capset(&header, data), call, call);
    }

    public void ClearAmbientCapabilities() =>
        Check(Libc.prctl(Libc.PR_CAP_AMBIENT, (nuint)Libc.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0),
            "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)", "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)");

    public void RaiseAmbientCapability(int cap)
    {
        string call = $"prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, {CapabilityNames.Name(cap)})";
        Check(Libc.prctl(Libc.PR_CAP_AMBIENT, (nuint)Libc.PR_CAP_AMBIENT_RAISE, (nuint)cap, 0, 0), call, call);
    }

    public void SetNoNewPrivileges() =>
        Check(Libc.prctl(Libc.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS, 1)", "prctl(PR_SET_NO_NEW_PRIVS, 1)");

    public void SetRlimit(int resource, ulong soft, ulong hard)
    {
        var limit = new Libc.rlimit { rlim_cur = soft, rlim_max = hard };
        string call = $"setrlimit({RlimitNames.Name(resource)}, {{soft {RlimitNames.Value(soft)}, hard {RlimitNames.Value(hard)}}})";
        Check(Libc.setrlimit(resource, &limit), call, call);
    }

    public void Umask(uint mask)
    {
        uint old = Libc.umask(mask);
        if (_trace.Enabled) _trace.Call($"umask({Octal(mask)})", Messages.ResultUmask.With(Octal(old)).Text);
    }

    private static string Octal(uint mode) => Convert.ToString(mode, 8).PadLeft(4, '0');

    public void WriteFile(string path, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        string call = _trace.Enabled ? $"open({Q(path)}, O_WRONLY) + write(fd, {Q(text)}, {bytes.Length})" : "";
        int fd = Libc.open(path, Libc.O_WRONLY | Libc.O_CLOEXEC, 0);
        int errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        if (fd >= 0)
        {
            nint n;
            fixed (byte* p = bytes)
                n = Libc.write(fd, p, (nuint)bytes.Length);
            errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
            Libc.close(fd);
        }
        if (_trace.Enabled) _trace.Call(call, errno == 0 ? bytes.Length.ToString() : $"-1 {Errno.Name(errno)}");
        if (errno != 0) throw new KernelException($"write {GoQuote.Quote(text)} to {path}", errno);
    }

    public void Chown(string path, uint uid, uint gid) =>
        Check(Libc.chown(path, uid, gid), $"chown({Q(path)}, {uid}, {gid})", $"chown {path} {uid}:{gid}");

    public ulong MountFlags(string path)
    {
        Libc.statvfs_t st;
        int rc = Libc.statvfs(path, &st);
        if (rc < 0) Check(rc, $"statvfs({Q(path)})", $"statvfs {path}");
        ulong flags = Libc.MountFlagsFromStatvfs(st.f_flag);
        if (_trace.Enabled) _trace.Call($"statvfs({Q(path)})", Messages.ResultStatvfs.With(MountOptions.FlagNames(flags)).Text);
        return flags;
    }

    public void MountSetattrRecursive(string path, ulong set, ulong clear)
    {
        var attr = new Libc.mount_attr { attr_set = set, attr_clr = clear };
        Check((int)Libc.syscall_mount_setattr(Libc.SYS_mount_setattr, Libc.AT_FDCWD, path, Libc.AT_RECURSIVE, &attr, (nuint)sizeof(Libc.mount_attr)),
            $"mount_setattr(AT_FDCWD, {Q(path)}, AT_RECURSIVE, {{attr_set={MountOptions.AttrNames(set)}, attr_clr={MountOptions.AttrNames(clear)}}}, {sizeof(Libc.mount_attr)})",
            $"mount_setattr {path} (recursive mount options)");
    }

    public HookOutcome RunHook(string kind, int index, MiniRun.Spec.SpecHook hook, string state)
    {
        var outcome = HookProcess.Run(hook, state);
        if (_trace.Enabled)
            _trace.Call($"posix_spawn({Q(hook.Path)}) {kind} hook {index}, state on stdin{(hook.Timeout is int t ? $", timeout {t} s" : "")}",
                outcome.Succeeded ? "exit 0" : outcome.Describe(hook));
        return outcome;
    }
}
