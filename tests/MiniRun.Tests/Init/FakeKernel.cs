// FakeKernel: an IKernel that records every call instead of making it, and can fail one.
//
// Why: the init steps are tested by the exact kernel calls they make and their order (mount
// flags, overlay options, pivot_root's arguments, setresuid last) without root or namespaces.
// The file-system view is a set of paths that "exist"; reads come from a dictionary.
using MiniRun.Kernel;

namespace MiniRun.Tests.Init;

public sealed class FakeKernel : IKernel
{
    public List<string> Calls { get; } = new();
    public HashSet<string> Paths { get; } = new();
    public HashSet<string> Directories { get; } = new();
    public HashSet<string> Executables { get; } = new();
    public Dictionary<string, string> Files { get; } = new();
    /// <summary>Calls starting with this text fail with <see cref="FailErrno"/>.</summary>
    public string? FailOn { get; set; }
    public int FailErrno { get; set; } = Errno.EPERM;
    /// <summary>What MountFlags (statvfs) answers per path, as MS_* bits; 0 when absent.</summary>
    public Dictionary<string, ulong> MountFlagsOf { get; } = new();

    private void Record(string call, string operation)
    {
        Calls.Add(call);
        if (FailOn is not null && call.StartsWith(FailOn, StringComparison.Ordinal))
            throw new KernelException(operation, FailErrno);
    }

    public void Mount(string? source, string target, string? fstype, ulong flags, string? data)
    {
        target = Unpin(target);
        Record($"mount {source ?? "NULL"} {target} {fstype ?? "NULL"} {MountOptions.FlagNames(flags)} {data ?? "NULL"}", $"mount {fstype ?? source} on {target}");
        Paths.Add(target);
    }
    public void Unmount(string target, int flags) => Record($"umount2 {target} {flags}", $"umount {target}");
    public void PivotRoot(string newRoot, string putOld) => Record($"pivot_root {newRoot} {putOld}", "pivot_root");
    public void Chdir(string path) => Record($"chdir {path}", $"chdir {path}");
    public void Fchdir(int fd) => Record($"fchdir {(OpenFds.TryGetValue(fd, out var p) ? p : fd.ToString())}", $"fchdir {fd}");
    public void Mkdir(string path, uint mode) { Record($"mkdir {path}", $"mkdir {path}"); Paths.Add(path); Directories.Add(path); }
    public void Touch(string path) { Record($"touch {path}", $"create {path}"); Paths.Add(path); }
    public void Mknod(string path, uint mode, uint major, uint minor) { Record($"mknod {path} {major}:{minor}", $"mknod {path}"); Paths.Add(path); }
    public void Symlink(string target, string linkPath) { Record($"symlink {linkPath} -> {target}", $"symlink {linkPath}"); Paths.Add(linkPath); }
    public void Chmod(string path, uint mode) => Record($"chmod {path} {Convert.ToString(mode, 8)}", $"chmod {path}");
    public void Sethostname(string name) => Record($"sethostname {name}", "sethostname");
    public void Unshare(int flags, string what) => Record($"unshare {what}", $"unshare {what}");
    public void InterfaceUp(string name) => Record($"ifup {name}", $"bring up {name}");
    public void SetGroups(IReadOnlyList<uint> gids) => Record($"setgroups [{string.Join(",", gids)}]", "setgroups");
    public void SetResGid(uint gid) => Record($"setresgid {gid}", "setresgid");
    public void SetResUid(uint uid) => Record($"setresuid {uid}", "setresuid");
    public void SetControllingTerminal(int fd) => Record($"setctty {fd}", "setctty");
    public void Dup2(int from, int to) => Record($"dup2 {from} {to}", "dup2");
    public (int Master, int Slave, string SlavePath) OpenPseudoTerminal(ushort rows, ushort columns)
    {
        Record($"openpty {rows}x{columns}", "openpty");
        return (100, 101, "/dev/pts/0");
    }
    public void Close(int fd)
    {
        if (OpenFds.Remove(fd)) return;   // a descriptor of OpenInRoot/OpenNoFollow: not a call the tests list
        Calls.Add($"close {fd}");
    }
    public void WaitForStart(int fifoFd) => Record($"read start fifo {fifoFd}", "read");
    public void CloseOnExecFrom(int first) => Record($"close_range {first}", "close_range");
    public string? ReadFile(string path) => Files.TryGetValue(path, out var text) ? text : null;
    public bool IsExecutable(string path) => Executables.Contains(path);
    public bool Exists(string path) => Paths.Contains(path) || Files.ContainsKey(path) || Executables.Contains(path) || Directories.Contains(path);
    public bool IsDirectory(string path) => Directories.Contains(path);
    public void Execve(string path, IReadOnlyList<string> argv, IReadOnlyList<string> envp)
    {
        Record($"execve {path} [{string.Join(" ", argv)}] [{string.Join(" ", envp)}]", $"exec {path}");
        throw new ExecReached();
    }

    public void KeepCapabilities() => Record("prctl PR_SET_KEEPCAPS 1", "prctl(PR_SET_KEEPCAPS, 1)");
    public void DropBoundingCapability(int cap) => Record($"prctl PR_CAPBSET_DROP {CapabilityNames.Name(cap)}", $"prctl(PR_CAPBSET_DROP, {CapabilityNames.Name(cap)})");
    public void SetCapabilities(ulong effective, ulong permitted, ulong inheritable) =>
        Record($"capset effective={CapabilityNames.Format(effective)} permitted={CapabilityNames.Format(permitted)} inheritable={CapabilityNames.Format(inheritable)}", "capset");
    public void ClearAmbientCapabilities() => Record("prctl PR_CAP_AMBIENT_CLEAR_ALL", "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)");
    public void RaiseAmbientCapability(int cap) => Record($"prctl PR_CAP_AMBIENT_RAISE {CapabilityNames.Name(cap)}", $"prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, {CapabilityNames.Name(cap)})");
    public void SetNoNewPrivileges() => Record("prctl PR_SET_NO_NEW_PRIVS 1", "prctl(PR_SET_NO_NEW_PRIVS, 1)");
    public void SetRlimit(int resource, ulong soft, ulong hard) =>
        Record($"setrlimit {RlimitNames.Name(resource)} {RlimitNames.Value(soft)} {RlimitNames.Value(hard)}", $"setrlimit({RlimitNames.Name(resource)}, {{soft {soft}, hard {hard}}})");
    public void Umask(uint mask) => Record($"umask {Convert.ToString(mask, 8)}", "umask");
    public void WriteFile(string path, string text) { Record($"write {path} {text}", $"write \"{text}\" to {path}"); Files[path] = text; }
    /// <summary>The profiles given to CompileSeccomp; names listed in UnknownSyscalls are reported as skipped.</summary>
    public List<MiniRun.Spec.SeccompProfile> SeccompProfiles { get; } = new();
    public HashSet<string> UnknownSyscalls { get; } = new();
    public IReadOnlyList<string> CompileSeccomp(MiniRun.Spec.SeccompProfile profile)
    {
        Record($"seccomp compile {profile.DefaultActionText} {profile.Rules.Count} rules", "seccomp compile");
        SeccompProfiles.Add(profile);
        return profile.Rules.Select(r => r.Syscall).Where(UnknownSyscalls.Contains).Distinct().ToList();
    }
    /// <summary>The "program" ExportSeccompBpf hands out: one 8-byte instruction per rule (contents made up, only passed on).</summary>
    public byte[] ExportSeccompBpf()
    {
        Record("seccomp export", "seccomp_export_bpf");
        return new byte[8 * Math.Max(1, SeccompProfiles.LastOrDefault()?.Rules.Count ?? 1)];
    }
    /// <summary>The programs given to LoadSeccompFilter, with their flags.</summary>
    public List<(byte[] Program, uint Flags)> LoadedFilters { get; } = new();
    public void LoadSeccompFilter(byte[] program, uint flags)
    {
        Record("seccomp load", "seccomp SECCOMP_SET_MODE_FILTER");
        LoadedFilters.Add((program, flags));
    }
    public void Chown(string path, uint uid, uint gid) => Record($"chown {path} {(int)uid}:{(int)gid}", $"chown {path}");
    public ulong MountFlags(string path)
    {
        path = Unpin(path);
        ulong flags = MountFlagsOf.GetValueOrDefault(path);
        Record($"statvfs {path} {MountOptions.FlagNames(flags)}", $"statvfs {path}");
        return flags;
    }

    public void MountSetattrRecursive(string path, ulong set, ulong clear) => MountSetattrRecursiveAt(Unpin(path), set, clear);
    private void MountSetattrRecursiveAt(string path, ulong set, ulong clear) =>
        Record($"mount_setattr {path} AT_RECURSIVE set={MountOptions.AttrNames(set)} clr={MountOptions.AttrNames(clear)}", $"mount_setattr {path}");

    /// <summary>What RunHook answers per hook path (default: exit 0); the states hooks were given, in order.</summary>
    public Dictionary<string, HookOutcome> HookOutcomes { get; } = new();
    public List<string> HookStates { get; } = new();
    public HookOutcome RunHook(string kind, int index, MiniRun.Spec.SpecHook hook, string state)
    {
        Record($"hook {kind} {index} {hook.Path}", $"{kind} hook {index}");
        HookStates.Add(state);
        return HookOutcomes.GetValueOrDefault(hook.Path);
    }

    /// <summary>Thrown by Execve: a real execve does not return either.</summary>
    public sealed class ExecReached : Exception { }

    /// <summary>The fd OpenTreeClone returns next (counts up).</summary>
    public int NextMountFd { get; set; } = 200;
    public int OpenTreeClone(string path) { Record($"open_tree {path} OPEN_TREE_CLONE", $"open_tree {path}"); return NextMountFd++; }
    public void SetIdmap(int mountFd, int usernsFd, string what) => Record($"mount_setattr {mountFd} MOUNT_ATTR_IDMAP userns={usernsFd}", $"mount_setattr(MOUNT_ATTR_IDMAP) on {what}");
    public void MoveMount(int mountFd, string target) { Record($"move_mount {mountFd} {target}", $"move_mount onto {target}"); Paths.Add(target); }

    // ---- descriptor-based calls: fds from 1000 up, each remembered with the path it was opened for ----

    /// <summary>Descriptors handed out and not closed yet, with their paths.</summary>
    public Dictionary<int, string> OpenFds { get; } = new();
    /// <summary>Every OpenInRoot: "root host-path".</summary>
    public List<string> OpenedInRoot { get; } = new();
    /// <summary>What OpenNoFollow's fstat answers per path (st_mode, major, minor); default: /dev/null is char 1:3, anything else a directory.</summary>
    public Dictionary<string, (uint Mode, uint Major, uint Minor)> Nodes { get; } = new();
    /// <summary>Every OpenNoFollow path, in order.</summary>
    public List<string> NoFollowOpens { get; } = new();
    /// <summary>Every WriteProcFile path, in order (the call itself is recorded as "write PATH TEXT" like WriteFile).</summary>
    public List<string> ProcWrites { get; } = new();
    /// <summary>What GetCwd answers; null: outside the root.</summary>
    public string? Cwd { get; set; } = "/";
    private int _nextFd = 1000;

    /// <summary>"/proc/self/fd/N" of a descriptor this fake handed out, as the path it stands for.</summary>
    private string Unpin(string path) =>
        path.StartsWith("/proc/self/fd/", StringComparison.Ordinal) && int.TryParse(path[14..], out int fd) && OpenFds.TryGetValue(fd, out var p) ? p : path;

    public int OpenInRoot(string root, string hostPath)
    {
        if (FailOn is not null && $"openat2 {hostPath}".StartsWith(FailOn, StringComparison.Ordinal))
            throw new KernelException($"open {hostPath} inside {root}", FailErrno);
        OpenedInRoot.Add($"{root} {hostPath}");
        OpenFds[_nextFd] = hostPath;
        return _nextFd++;
    }
    public void MkdirInRoot(string root, string hostPath, uint mode) => Mkdir(hostPath, mode);
    public void TouchInRoot(string root, string hostPath) => Touch(hostPath);
    public (int Fd, uint Mode, uint Major, uint Minor) OpenNoFollow(string path)
    {
        NoFollowOpens.Add(path);
        var node = Nodes.TryGetValue(path, out var n) ? n : path == "/dev/null" ? (0x2000u | 0x1b6, 1u, 3u) : (0x4000u | 0x1ed, 0u, 0u);
        OpenFds[_nextFd] = path;
        return (_nextFd++, node.Item1, node.Item2, node.Item3);
    }
    public void BindMountFd(int fd, string target)
    {
        string source = OpenFds.TryGetValue(fd, out var p) ? p : $"fd{fd}";
        Record($"mount {source} {target} NULL MS_BIND NULL", $"mount {source} on {target}");
        Paths.Add(target);
    }
    public void WriteProcFile(string procPath, string text)
    {
        Record($"write {procPath} {text}", $"write \"{text}\" to {procPath}");
        ProcWrites.Add(procPath);
        Files[procPath] = text;
    }
    public string? GetCwd() => Cwd;
}
