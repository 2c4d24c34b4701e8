// ExecStarter: start a process inside a running container - `minirun exec`, and later the
// supervisor's health checks.
//
// Why: the new process must be indistinguishable from one the container started itself: every
// namespace of the container's PID 1 (user first, then mnt, pid, net, uts, ipc, cgroup), its
// cgroup, its root, its environment, user and working directory, and the same confinement:
// capabilities, rlimits, no_new_privs, umask, the seccomp filter (ExecSecurity, from the process
// object the caller passes, else the container's config.json process). Everything is decided here, in
// C#, before anything is joined: the user from the container's own /etc/passwd and /etc/group,
// the program from the container's PATH, both read through /proc/PID/root with openat2
// (ExecRootFs); then the native stage (Native/exec_stage.c) does the joining, because setns into
// a user or mount namespace is impossible in a multithreaded .NET process.
//
// The started process is the CALLER's child (the native stage clones it with CLONE_PARENT), so
// the caller waits for it with waitpid (ProcessWaiter) and gets its exit status. With Detach the
// returned pid is a short-lived helper that exits at once; the program itself is then a child of
// the container's PID 1.
//
// Follows: docker-exec(1) (flags, env, user, workdir, exit codes), setns(2), namespaces(7),
// runtime-spec config.md "process" (env, cwd, user, capabilities, rlimits, noNewPrivileges),
// runc-exec(8) (the process's attributes apply to exec'd processes too).
using System.Runtime.InteropServices;
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Runtime;

/// <summary>The container to enter: its PID 1 (with start time, so a reused pid is never joined), cgroup and spec.</summary>
public sealed record ExecTarget(string Id, int Pid, ulong PidStartTime, string? CgroupPath, RuntimeSpec Spec, string? SeccompCache = null);

/// <summary>What to run and how (docker exec's flags). Null means "as the container does".</summary>
public sealed class ExecOptions
{
    public required IReadOnlyList<string> Args { get; init; }
    /// <summary>-e entries: "K=V" replaces or adds K; a bare "K" removes it.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];
    /// <summary>OCI exec (process.json): <see cref="Env"/> is the whole environment, not added to the container's.</summary>
    public bool ReplaceEnv { get; init; }
    /// <summary>-u USER[:GROUP]; null: the container's process.user.</summary>
    public string? User { get; init; }
    /// <summary>Supplementary gids added to those /etc/group gives the user; null: the container's process.user.additionalGids when <see cref="User"/> is null.</summary>
    public IReadOnlyList<uint>? AdditionalGids { get; init; }
    /// <summary>
    /// The process object whose capabilities, noNewPrivileges, rlimits, oomScoreAdj and user.umask
    /// the program gets (a process.json's, as runc); null: the container's config.json process.
    /// The seccomp filter is always the container's linux.seccomp.
    /// </summary>
    public SpecProcess? Attributes { get; init; }
    /// <summary>-w DIR (absolute); null: the container's process.cwd.</summary>
    public string? WorkingDir { get; init; }
    /// <summary>-t: a new pseudo-terminal from the container's devpts; stdio are its slave side.</summary>
    public bool Tty { get; init; }
    public ushort Rows { get; init; }
    public ushort Columns { get; init; }
    /// <summary>-d: the program is handed to the container's PID 1; the returned pid only starts it.</summary>
    public bool Detach { get; init; }
    /// <summary>Descriptors for the program's 0, 1, 2 (ignored with Tty); -1 inherits the caller's.</summary>
    public int Stdin { get; init; } = -1;
    public int Stdout { get; init; } = -1;
    public int Stderr { get; init; } = -1;
    public ITrace Trace { get; init; } = NullTrace.Instance;
}

/// <summary>A started process: the pid to waitpid (the caller's child) and, with Tty, the terminal's master side (the caller closes it).</summary>
public sealed record ExecProcess(int Pid, int TerminalMaster);

/// <summary>The program could not be started; <see cref="ExitCode"/> is Docker's (126, 127, or 125).</summary>
public sealed class ExecFailure : Exception
{
    public int ExitCode { get; }
    public ExecFailure(int exitCode, string message) : base(message) => ExitCode = exitCode;
}

/// <summary>The container's PID 1 is gone (or its pid now belongs to another process).</summary>
public sealed class ExecTargetGoneException : Exception
{
    public ExecTargetGoneException(string id) : base($"container {id} is not running") { }
}

public static class ExecStarter
{
    /// <summary>The order of joining: user first (it grants the rights to join the others), cgroup last.</summary>
    public static readonly string[] JoinOrder = ["user", "mnt", "pid", "net", "uts", "ipc", "cgroup"];

    public static ExecProcess Start(ExecTarget target, ExecOptions o)
    {
        if (o.Args.Count == 0) throw new ExecFailure(125, "exec: no command specified");
        if (!ProcessIdentity.IsAlive(target.Pid, target.PidStartTime)) throw new ExecTargetGoneException(target.Id);
        var fds = new List<int>();
        int master = -1, slave = -1, devNull = -1;
        try
        {
            var joins = OpenNamespaces(target.Pid, fds, out var joinedTypes);
            int cgroupFd = OpenCgroupProcs(target.CgroupPath, fds);
            using var root = ExecRootFs.Open(target.Pid);
            // Every fd now refers to the container's objects, unless the pid was reused meanwhile.
            if (!ProcessIdentity.IsAlive(target.Pid, target.PidStartTime)) throw new ExecTargetGoneException(target.Id);

            var spec = target.Spec;
            bool ownUserNs = joinedTypes.Contains("user");
            var user = ResolveUser(root, o.User, o.AdditionalGids, spec.Process.User, ownUserNs);
            var security = ResolveSecurity(o.Attributes ?? spec.Process, spec.Linux.Seccomp, o.Trace, target.SeccompCache);
            var env = o.ReplaceEnv ? WithHome(o.Env.ToList(), user.Home) : BuildEnv(spec, o.Env, o.Tty, user.Home);
            string cwd = o.WorkingDir ?? spec.Process.Cwd;
            string path = env.LastOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? "";
            string exe = ExecPathLookup.Find(o.Args[0], path, cwd, root.Stat, user.Uid, user.Gid, user.Groups ?? []);

            (int, int, int) stdio = (o.Stdin, o.Stdout, o.Stderr);
            if (o.Tty)
            {
                (master, slave) = root.OpenPseudoTerminal(o.Rows, o.Columns);
                stdio = (slave, slave, slave);
            }
            else if (o.Detach)
            {
                devNull = Libc.open("/dev/null", ExecNative.O_RDWR | ExecNative.O_CLOEXEC, 0);
                stdio = (o.Stdin >= 0 ? o.Stdin : devNull, o.Stdout >= 0 ? o.Stdout : devNull, o.Stderr >= 0 ? o.Stderr : devNull);
            }

            Narrate(o.Trace, target, joinedTypes, cgroupFd >= 0, user, cwd, exe, o, security);
            var request = new ExecNativeRequest(joins, cgroupFd, stdio, o.Tty, (user.Uid, user.Gid, user.Groups), cwd,
                exe, o.Args, env, o.Detach, security);
            int pid;
            try
            {
                pid = ExecNative.Start(request);
            }
            catch (ExecStageException e)
            {
                throw new ExecFailure(e.ExitCode, e.Step switch
                {
                    "execve" => $"exec: {GoQuote.Quote(o.Args[0])}: {Errno.Describe(e.Errno)}",
                    "chdir" => $"chdir to cwd ({GoQuote.Quote(cwd)}) set in config.json failed: {Errno.Describe(e.Errno)}",
                    "cwd outside root" => $"chdir to cwd ({GoQuote.Quote(cwd)}) set in config.json failed: the directory is outside the container's root",
                    _ => $"exec into container {target.Id}: {e.Step}: {Errno.Describe(e.Errno)}",
                });
            }
            var started = new ExecProcess(pid, master);
            master = -1;   // handed to the caller
            return started;
        }
        finally
        {
            foreach (int fd in fds) Libc.close(fd);
            if (slave >= 0) Libc.close(slave);
            if (master >= 0) Libc.close(master);
            if (devNull >= 0) Libc.close(devNull);
        }
    }

    /// <summary>Opens /proc/PID/ns/TYPE for every namespace the container does not share with this process.</summary>
    private static List<int> OpenNamespaces(int pid, List<int> opened, out List<string> types)
    {
        var joins = new List<int>();
        types = new List<string>();
        foreach (string type in JoinOrder)
        {
            string path = $"/proc/{pid}/ns/{type}";
            string? theirs = Namespaces.Inode(pid, type);
            if (theirs is null) continue;                                 // not supported by this kernel
            if (theirs == Namespaces.Inode(Libc.getpid(), type)) continue;  // shared with us: nothing to join
            int fd = Libc.open(path, ExecNative.O_RDONLY | ExecNative.O_CLOEXEC, 0);
            if (fd < 0) throw new KernelException($"open {path}", Marshal.GetLastPInvokeError());
            opened.Add(fd);
            joins.Add(fd);
            types.Add(type);
        }
        return joins;
    }

    /// <summary>The container's cgroup.procs under the cgroup2 mount, when it has a cgroup; -1 otherwise.</summary>
    private static int OpenCgroupProcs(string? cgroupPath, List<int> opened)
    {
        if (string.IsNullOrEmpty(cgroupPath)) return -1;
        string? mount = MiniRun.Cgroups.CgroupV2Host.Detect().MountPoint;
        if (mount is null) return -1;
        string procs = Path.Combine(mount, cgroupPath.TrimStart('/'), "cgroup.procs");
        int fd = Libc.open(procs, ExecNative.O_WRONLY | ExecNative.O_CLOEXEC, 0);
        if (fd < 0) throw new KernelException($"open {procs}", Marshal.GetLastPInvokeError());
        opened.Add(fd);
        return fd;
    }

    internal sealed record ExecUser(uint Uid, uint Gid, IReadOnlyList<uint>? Groups, string Home, string Shown);

    /// <summary>
    /// The process's attributes checked and resolved for this kernel, and linux.seccomp compiled
    /// to BPF by the host's libseccomp (here, in the caller: the native stage only loads it).
    /// </summary>
    private static ExecSecurity ResolveSecurity(SpecProcess process, SpecSeccomp? seccomp, ITrace trace, string? seccompCache)
    {
        try
        {
            var security = ExecSecurity.Resolve(process, seccomp, CapabilitiesStep.LastCap(ReadCapLastCap()));
            if (security.Seccomp is not null)
            {
                if (trace.Enabled)
                    trace.Step(Messages.ExecSeccompTitle, Messages.ExecSeccompWhy);
                security.CompileSeccomp(trace, seccompCache is null ? null : new SeccompFilterCache(seccompCache));
            }
            return security;
        }
        catch (Exception e) when (e is InvalidDataException or RunConfigException or InvalidOperationException)
        {
            throw new ExecFailure(125, e.Message);
        }
        catch (KernelException e)
        {
            throw new ExecFailure(125, "compile the seccomp filter: " + e.Message);
        }
    }

    private static string? ReadCapLastCap()
    {
        try { return File.ReadAllText("/proc/sys/kernel/cap_last_cap"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>-u or the container's user, resolved with the container's passwd and group files.</summary>
    private static ExecUser ResolveUser(ExecRootFs root, string? flag, IReadOnlyList<uint>? extraGids, SpecUser containerUser, bool userNamespace)
    {
        string spec = flag ?? containerUser.Username ?? $"{containerUser.Uid}:{containerUser.Gid}";
        ResolvedUser r;
        List<uint> named;
        try
        {
            string? groupText = root.ReadText("/etc/group");
            r = UserResolver.Resolve(spec, root.ReadText("/etc/passwd"), groupText);
            named = UserResolver.ResolveGroups(containerUser.AdditionalGroups, groupText);   // --group-add: every exec gets them, as in Docker
        }
        catch (RunConfigException e)
        {
            throw new ExecFailure(126, e.Message);
        }
        var added = extraGids ?? (flag is null ? containerUser.AdditionalGids : null) ?? [];
        var groups = UserResolver.Primary(r, containerUser).Concat(r.AdditionalGids).Concat(added).Concat(named).Distinct().ToList();
        // In a user namespace setgroups is denied (setgroups=deny): keep the joined groups when there are none to set.
        return new ExecUser(r.Uid, r.Gid, userNamespace && groups.Count == 0 ? null : groups, r.Home, spec.Length == 0 ? "root" : spec);
    }

    /// <summary>The container's environment (config.json process.env), then -e, then HOME from passwd when unset.</summary>
    internal static List<string> BuildEnv(RuntimeSpec spec, IReadOnlyList<string> extra, bool tty, string home)
    {
        return WithHome(EnvMerge.Merge(spec.Process.Env, extra, spec.Hostname ?? "", tty), home);
    }

    private static List<string> WithHome(List<string> env, string home)
    {
        if (!env.Any(e => e.StartsWith("HOME=", StringComparison.Ordinal))) env.Add("HOME=" + home);
        return env;
    }

    private static void Narrate(ITrace trace, ExecTarget t, List<string> types, bool cgroup, ExecUser user, string cwd, string exe, ExecOptions o,
        ExecSecurity security)
    {
        if (!trace.Enabled) return;
        if (trace is ConsoleTrace console) console.LookWith = $"ls -l /proc/{t.Pid}/ns; cat /proc/{t.Pid}/cgroup";
        trace.Step(Messages.ExecEnterTitle.With(t.Id[..Math.Min(12, t.Id.Length)], t.Pid), Messages.ExecEnterWhy);
        foreach (var (call, result) in security.HelperPlan())
            trace.Call(call, result);
        if (cgroup)
        {
            trace.Step(Messages.ExecCgroupTitle, Messages.ExecCgroupWhy);
            trace.Call($"write(open(\"<cgroup2>/{t.CgroupPath}/cgroup.procs\"), \"0\")", Messages.ResultInHelperBeforeCgroupns.Text);
            trace.Fact(TraceFact.Limits, Messages.ExecCgroupFact.With(t.CgroupPath).Text);
        }
        trace.Step(Messages.ExecSetnsTitle, Messages.ExecSetnsWhy);
        foreach (string type in types)
        {
            trace.Call($"setns(open(\"/proc/{t.Pid}/ns/{type}\"), 0)", Messages.ResultInHelper.Text);
            trace.Fact(TraceFact.Namespaces, Messages.FactJoined.With(type).Text);
        }
        trace.Step(Messages.ExecPidCloneTitle, Messages.ExecPidCloneWhy);
        trace.Call($"clone(CLONE_VM|CLONE_VFORK|CLONE_PARENT)", Messages.ResultExecClone.Text);
        trace.Note(o.Tty ? Messages.ExecProgram.With(user.Shown, user.Uid, user.Gid, cwd, exe).Then(Messages.ExecNewPty)
            : Messages.ExecProgram.With(user.Shown, user.Uid, user.Gid, cwd, exe));
        trace.Step(Messages.ExecConfineTitle, Messages.ExecConfineWhy);
        if (security.SkippedCapabilities.Count > 0)
            trace.Note(Messages.ExecCapsSkipped.With(string.Join(", ", security.SkippedCapabilities)));
        foreach (var (call, result) in security.Plan(user.Uid, user.Gid, user.Groups, cwd))
            trace.Call(call, result);
        trace.Call($"execve({GoQuote.Quote(exe)}, [{string.Join(", ", o.Args.Select(a => "\"" + a + "\""))}], envp)", Messages.ResultExecveProgram.Text);
        trace.Fact(TraceFact.Command, string.Join(' ', [exe, .. o.Args.Skip(1)]));
        if (security.Capabilities is { } caps) trace.Fact(TraceFact.Capabilities, CapabilityNames.Format(caps.Bounding));
        if (security.SeccompFilter is { } filter) trace.Fact(TraceFact.Seccomp, Messages.FactSeccompExec.With(filter.Length / 8).Text);
        if (o.Detach) trace.Note(Messages.ExecDetached);
    }
}
