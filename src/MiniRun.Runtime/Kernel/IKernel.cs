// IKernel: the one narrow seam through which MiniRun's container setup calls the kernel.
//
// Why: every isolation step (mounts, pivot_root, hostname, devices, credentials, exec) is a
// kernel call. Routing them all through this interface gives two things: unit tests hand in a
// fake that records each call with its exact arguments (and can make one fail), and the real
// implementation narrates each call for `--trace` from the very place it is made, so the
// narration cannot drift from what runs.
//
// Each method throws KernelException("operation operands", errno) on failure.
namespace MiniRun.Kernel;

public interface IKernel
{
    /// <summary>mount(2). <paramref name="flags"/> are MS_* bits; data is the fs-specific option string.</summary>
    void Mount(string? source, string target, string? fstype, ulong flags, string? data);
    /// <summary>umount2(2) with MNT_* flags.</summary>
    void Unmount(string target, int flags);
    /// <summary>pivot_root(2): make new_root the root of this mount namespace, old root at put_old.</summary>
    void PivotRoot(string newRoot, string putOld);
    void Chdir(string path);
    /// <summary>fchdir(2): the working directory becomes the directory behind <paramref name="fd"/> (an O_PATH descriptor will do).</summary>
    void Fchdir(int fd);
    /// <summary>mkdir(2); an existing directory is not an error.</summary>
    void Mkdir(string path, uint mode);
    /// <summary>Creates an empty regular file if nothing exists at path (a bind-mount target).</summary>
    void Touch(string path);
    void Mknod(string path, uint mode, uint major, uint minor);
    void Symlink(string target, string linkPath);
    void Chmod(string path, uint mode);
    void Sethostname(string name);
    /// <summary>unshare(2) for this thread (the one that will execve).</summary>
    void Unshare(int flags, string what);
    /// <summary>SIOCSIFFLAGS with IFF_UP on the named interface (netdevice(7)).</summary>
    void InterfaceUp(string name);
    void SetGroups(IReadOnlyList<uint> gids);
    void SetResGid(uint gid);
    void SetResUid(uint uid);
    /// <summary>setsid(2) then ioctl(fd, TIOCSCTTY): fd becomes this session's controlling terminal.</summary>
    void SetControllingTerminal(int fd);
    void Dup2(int from, int to);
    /// <summary>Opens /dev/ptmx and its slave (pty(7)); sets the window size when given.</summary>
    (int Master, int Slave, string SlavePath) OpenPseudoTerminal(ushort rows, ushort columns);
    void Close(int fd);
    /// <summary>close_range(first, ~0, CLOSE_RANGE_CLOEXEC): nothing above <paramref name="first"/> survives execve.</summary>
    void CloseOnExecFrom(int first);
    /// <summary>Contents of a file, or null when it does not exist.</summary>
    string? ReadFile(string path);
    /// <summary>True when path is a regular file this process may execute (access(2) X_OK).</summary>
    bool IsExecutable(string path);
    bool Exists(string path);
    bool IsDirectory(string path);
    /// <summary>execve(2). Returns only by throwing.</summary>
    void Execve(string path, IReadOnlyList<string> argv, IReadOnlyList<string> envp);
    /// <summary>Blocks in read(2) on the start fifo until `start` writes its byte (Init/StartGateStep.cs).</summary>
    void WaitForStart(int fifoFd);
    /// <summary>prctl(PR_SET_KEEPCAPS, 1): the permitted set survives a switch to a non-zero uid (until execve).</summary>
    void KeepCapabilities();
    /// <summary>prctl(PR_CAPBSET_DROP, cap): the capability leaves the bounding set, for good.</summary>
    void DropBoundingCapability(int cap);
    /// <summary>capset(2), version 3: the effective, permitted and inheritable sets (bit N = capability N).</summary>
    void SetCapabilities(ulong effective, ulong permitted, ulong inheritable);
    /// <summary>prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL).</summary>
    void ClearAmbientCapabilities();
    /// <summary>prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap): kept across execve by a non-root user.</summary>
    void RaiseAmbientCapability(int cap);
    /// <summary>prctl(PR_SET_NO_NEW_PRIVS, 1): no later execve can gain privileges (setuid bits, file capabilities).</summary>
    void SetNoNewPrivileges();
    /// <summary>setrlimit(2) for an RLIMIT_* resource number.</summary>
    void SetRlimit(int resource, ulong soft, ulong hard);
    /// <summary>umask(2): the file mode creation mask (cannot fail).</summary>
    void Umask(uint mask);
    /// <summary>open(2) O_WRONLY and one write(2) of the text: a /proc or /proc/sys file.</summary>
    void WriteFile(string path, string text);
    /// <summary>
    /// Builds the seccomp filter with libseccomp (seccomp_init, seccomp_arch_add, seccomp_attr_set,
    /// seccomp_rule_add_array) and keeps it for <see cref="ExportSeccompBpf"/>; nothing reaches the kernel
    /// yet. Returns the system call names this libseccomp does not know on this architecture (skipped).
    /// </summary>
    IReadOnlyList<string> CompileSeccomp(MiniRun.Spec.SeccompProfile profile);
    /// <summary>seccomp_export_bpf(3): the compiled filter as the raw BPF program (8 bytes an instruction); releases it.</summary>
    byte[] ExportSeccompBpf();
    /// <summary>seccomp(2) SECCOMP_SET_MODE_FILTER with the program and SECCOMP_FILTER_FLAG_* flags: from now on the kernel filters every system call of this thread and its children.</summary>
    void LoadSeccompFilter(byte[] program, uint flags);
    /// <summary>chown(2) (follows a symlink, like chown(1) without -h).</summary>
    void Chown(string path, uint uid, uint gid);
    /// <summary>The per-mount flags of the mount holding path, as MS_* bits (statvfs(3) f_flag).</summary>
    ulong MountFlags(string path);
    /// <summary>mount_setattr(2) with AT_RECURSIVE: MOUNT_ATTR_* bits set and cleared on the mount at path and every mount below it.</summary>
    void MountSetattrRecursive(string path, ulong set, ulong clear);
    /// <summary>
    /// Runs hook <paramref name="index"/> of list <paramref name="kind"/> (posix_spawn, the state on
    /// its stdin, waited for at most its timeout: Kernel/HookProcess.cs) and says how it ended; a
    /// failed hook is an outcome, not an exception.
    /// </summary>
    HookOutcome RunHook(string kind, int index, MiniRun.Spec.SpecHook hook, string state);
    /// <summary>open_tree(2) with OPEN_TREE_CLONE: a detached copy of the mount at path, as an fd (not yet attached anywhere).</summary>
    int OpenTreeClone(string path);
    /// <summary>mount_setattr(2) MOUNT_ATTR_IDMAP on a detached mount: its files' owners are shown through the user namespace's maps.</summary>
    void SetIdmap(int mountFd, int usernsFd, string what);
    /// <summary>move_mount(2) with MOVE_MOUNT_F_EMPTY_PATH|MOVE_MOUNT_T_SYMLINKS: attach the detached mount fd at target (a symlink, such as a layer's short link, is followed to its directory).</summary>
    void MoveMount(int mountFd, string target);

    // ---- descriptor-based calls: a path the container may change is looked up once, by the kernel ----

    /// <summary>
    /// openat2(root, path relative to root, O_PATH, RESOLVE_IN_ROOT): <paramref name="hostPath"/> (below
    /// <paramref name="root"/>) opened with every symlink and ".." resolved as if root were "/", in one
    /// call, so a rename or symlink swap racing with it cannot lead out of root. Close the result.
    /// </summary>
    int OpenInRoot(string root, string hostPath);
    /// <summary>mkdir(2) of <paramref name="hostPath"/> (below root) as mkdirat in its parent opened by <see cref="OpenInRoot"/>; an existing directory is not an error.</summary>
    void MkdirInRoot(string root, string hostPath, uint mode);
    /// <summary><see cref="Touch"/> the same way: openat(parent, name, O_CREAT|O_NOFOLLOW) in a parent opened in root.</summary>
    void TouchInRoot(string root, string hostPath);
    /// <summary>open(2) O_PATH|O_NOFOLLOW, then fstat(2): a handle on exactly this file (a symlink is not followed) and its st_mode and device numbers.</summary>
    (int Fd, uint Mode, uint Major, uint Minor) OpenNoFollow(string path);
    /// <summary>open_tree(fd, "", OPEN_TREE_CLONE|AT_EMPTY_PATH) then move_mount onto target: a bind mount of the very file behind the descriptor, no second lookup of its path.</summary>
    void BindMountFd(int fd, string target);
    /// <summary>
    /// Writes a /proc file (/proc/sys/..., /proc/self/..., /proc/thread-self/...) through a procfs instance of
    /// this process's own (fsopen + fsmount: attached nowhere, nothing can be mounted over its files),
    /// opened with openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV|RESOLVE_NO_MAGICLINKS.
    /// </summary>
    void WriteProcFile(string procPath, string text);
    /// <summary>getcwd(2): the working directory, or null when it is not below this process's root ("(unreachable)").</summary>
    string? GetCwd();
}
