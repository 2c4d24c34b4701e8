// Cgroup: one container's cgroup v2 directory: create it with its controllers enabled, write the
// limits, move the process in, freeze and thaw, read usage, kill everything left, remove it.
//
// Why: cgroup v2 is a filesystem; every operation is a mkdir, a write of one short text, or an
// rmdir. A controller's files appear in a cgroup only when its parent lists the controller in
// cgroup.subtree_control, so controllers are enabled top-down, from the mount root to the
// container's parent. Each write is reported to the trace ("write .../memory.max = 104857600")
// with the reason, and each failure names the file, the value and the errno.
//
// What it writes, and nowhere else (docs/cgroups.md):
//   ROOT/cgroup.subtree_control  "+cpu +memory ..." only for controllers not enabled yet
//   each ancestor MiniRun owns (ROOT/minirun, anything below it, and any directory this Create
//     made): PARENT/cgroup.subtree_control, again only for controllers not enabled yet
//   ROOT/PARENT/ID/: mkdir; the limit files; cgroup.procs; cgroup.freeze; cgroup.kill; rmdir
// A --cgroup-parent that exists and that MiniRun did not create is never written to: if it does
// not already delegate the controllers, Create fails and says so. An OCI engine's
// linux.cgroupsPath is different: the engine chose the path, and its parents get the controllers
// the limits need (enableInAnyParent, EnableControllers), as runc does.
//
// Follows: Documentation/admin-guide/cgroup-v2.rst: "Enabling and Disabling" (subtree_control,
// top-down constraint), "Processes" (cgroup.procs), cgroup.freeze / cgroup.events "frozen",
// cgroup.kill, "Basic Operations" (rmdir of an empty cgroup).
using MiniRun.Kernel;
using MiniRun.Trace;

namespace MiniRun.Cgroups;

public sealed class Cgroup
{
    public const string DefaultParent = "minirun";
    private readonly ICgroupFs _fs;
    private readonly ITrace _trace;

    /// <summary>The cgroup2 mount point (e.g. /sys/fs/cgroup).</summary>
    public string Root { get; }
    /// <summary>The path below the root ("minirun/ab12..."); "/" + this is what /proc/PID/cgroup shows.</summary>
    public string RelativePath { get; }
    public string Path => System.IO.Path.Combine(Root, RelativePath);

    private Cgroup(string root, string relativePath, ICgroupFs fs, ITrace trace)
    {
        Root = root.TrimEnd('/');
        RelativePath = relativePath;
        _fs = fs;
        _trace = trace;
    }

    /// <summary>An existing container cgroup (for stats, pause, update, rm by later commands).</summary>
    public static Cgroup Open(string root, string relativePath, ICgroupFs? fs = null, ITrace? trace = null) =>
        new(root, CheckRelative(relativePath, "cgroup path"), fs ?? CgroupFs.Instance, trace ?? NullTrace.Instance);

    /// <summary>Creates ROOT/PARENT/NAME with <paramref name="controllers"/> enabled in it; undoes its
    /// own mkdirs if a step fails.</summary>
    /// <param name="enableInAnyParent">the path was named by an OCI engine (linux.cgroupsPath): controllers
    /// may be enabled in every parent along it, as runc does, not only in those MiniRun owns.</param>
    public static Cgroup Create(string root, string name, IEnumerable<string> controllers, string? parent = DefaultParent,
        ICgroupFs? fs = null, ITrace? trace = null, bool enableInAnyParent = false)
    {
        fs ??= CgroupFs.Instance;
        trace ??= NullTrace.Instance;
        root = root.TrimEnd('/');
        if (name.Length == 0 || name.Contains('/') || name is "." or "..")
            throw new ArgumentException($"cgroup name {GoQuote.Quote(name)}: must be one path component");
        var parentRel = string.IsNullOrEmpty(parent?.Trim('/')) ? "" : CheckRelative(parent!, "--cgroup-parent");
        var parts = parentRel.Length == 0 ? new List<string>() : parentRel.Split('/').ToList();
        parts.Add(name);
        var wanted = controllers.Distinct().ToList();

        var created = new List<string>();
        try
        {
            var cur = root;
            var curRel = "";
            for (int i = 0; i < parts.Count; i++)
            {
                bool owned = enableInAnyParent || curRel.Length == 0 || created.Contains(cur) || IsMiniRunOwned(curRel);
                EnableControllers(fs, trace, cur, wanted, owned);
                var next = System.IO.Path.Combine(cur, parts[i]);
                curRel = curRel.Length == 0 ? parts[i] : curRel + "/" + parts[i];
                bool last = i == parts.Count - 1;
                if (last || !fs.Exists(next))
                {
                    MakeDirectory(fs, trace, next, last ? Messages.CgroupOwn : Messages.CgroupParent);
                    created.Add(next);
                }
                else
                    trace.Note(Messages.CgroupParentExists.With(next));
                cur = next;
            }
            return new Cgroup(root, curRel, fs, trace);
        }
        catch
        {
            for (int i = created.Count - 1; i >= 0; i--)
                try
                {
                    fs.RemoveDirectory(created[i]);
                    trace.Call($"rmdir {created[i]}", "0");
                    trace.Note(Messages.CgroupUndo);
                }
                catch (KernelException e) { trace.Call($"rmdir {created[i]}", $"-1 {Errno.Describe(e.Errno)}"); }
            throw;
        }
    }

    /// <summary>Writes every limit file (CgroupFileMap) in order; the first failure stops with its errno.</summary>
    public void Apply(ResourceLimits limits)
    {
        bool memory = limits.RequiredControllers().Contains("memory") || HasController("memory");
        var writes = CgroupFileMap.For(limits, oomGroup: memory);
        if (writes.Count == 0)
            _trace.Note(Messages.CgroupNoLimitFile.With(Path));
        foreach (var w in writes)
        {
            Write(w.File, w.Value, w.Why);
            _trace.Fact(TraceFact.Limits, $"{w.File}={w.Value}");
        }
    }

    /// <summary>
    /// `update` of an OCI container: enables the <paramref name="controllers"/> this cgroup does not
    /// have yet, top-down in every parent from the root (the engine named the path, as for
    /// Create with enableInAnyParent), so that their files appear here.
    /// </summary>
    public void EnableControllers(IEnumerable<string> controllers)
    {
        var missing = controllers.Where(c => !HasController(c)).ToList();
        if (missing.Count == 0) return;
        var dir = Root;
        foreach (var part in RelativePath.Split('/'))
        {
            EnableControllers(_fs, _trace, dir, missing, owned: true);
            dir = System.IO.Path.Combine(dir, part);
        }
    }

    /// <summary>Moves a process (and all its threads) into this cgroup.</summary>
    public void AddProcess(int pid) =>
        Write("cgroup.procs", $"{pid}", Messages.CgroupMoveProcess);

    public void Freeze(TimeSpan? timeout = null) => SetFrozen(true, timeout ?? TimeSpan.FromSeconds(5));
    public void Thaw(TimeSpan? timeout = null) => SetFrozen(false, timeout ?? TimeSpan.FromSeconds(5));

    /// <summary>SIGKILL to every process in the cgroup and its descendants (cgroup.kill, Linux 5.14);
    /// on older kernels each pid listed in cgroup.procs is killed.</summary>
    public void Kill()
    {
        var killFile = File("cgroup.kill");
        if (_fs.Exists(killFile))
        {
            Write("cgroup.kill", "1", Messages.CgroupKill);
            return;
        }
        foreach (var line in _fs.Read(File("cgroup.procs")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (int.TryParse(line, out var pid))
            {
                int rc = Libc.kill(pid, 9);
                _trace.Call($"kill({pid}, SIGKILL)", rc == 0 ? "0" : Messages.ResultGoneAlready.Text);
            }
    }

    /// <summary>rmdir of the container's cgroup, retried while the kernel still says EBUSY (its last
    /// processes are exiting). Its parents stay: other containers share them. Gone already: no error.</summary>
    public void Remove(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(2));
        while (true)
        {
            try
            {
                _fs.RemoveDirectory(Path);
                _trace.Call($"rmdir {Path}", "0");
                return;
            }
            catch (KernelException e) when (e.Errno == Errno.ENOENT) { return; }
            catch (KernelException e) when (e.Errno == Errno.EBUSY && DateTime.UtcNow < deadline) { Thread.Sleep(10); }
        }
    }

    /// <summary>Current usage; files of controllers that are not enabled give nulls.</summary>
    public CgroupStats ReadStats() => CgroupStats.Parse(f =>
    {
        try { return _fs.Read(File(f)); }
        catch (KernelException e) when (e.Errno is Errno.ENOENT or Errno.ENODEV or Errno.EOPNOTSUPP) { return null; }
    });

    public bool HasController(string controller)
    {
        try { return _fs.Read(File("cgroup.controllers")).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Contains(controller); }
        catch (KernelException) { return false; }
    }

    private void SetFrozen(bool frozen, TimeSpan timeout)
    {
        Write("cgroup.freeze", frozen ? "1" : "0", frozen ? Messages.CgroupFreeze : Messages.CgroupThaw);
        var want = frozen ? "1" : "0";
        var deadline = DateTime.UtcNow + timeout;
        string state;
        while ((state = FrozenState()) != want)
        {
            if (DateTime.UtcNow >= deadline)
                throw new IOException($"{(frozen ? "freeze" : "thaw")} {Path}: cgroup.events still says \"frozen {state}\" after {timeout.TotalSeconds:0.#} s");
            Thread.Sleep(10);
        }
        _trace.Note(Messages.CgroupFrozen.With(File("cgroup.events"), want));
    }

    private string FrozenState()
    {
        foreach (var line in _fs.Read(File("cgroup.events")).Split('\n'))
            if (line.StartsWith("frozen ", StringComparison.Ordinal)) return line[7..].Trim();
        return "?";
    }

    private string File(string name) => System.IO.Path.Combine(Path, name);

    private void Write(string name, string value, Narration why) => Write(_fs, _trace, File(name), value, why);

    private static void Write(ICgroupFs fs, ITrace trace, string path, string value, Narration why)
    {
        try { fs.Write(path, value); }
        catch (KernelException e)
        {
            trace.Call($"write {path}", $"{GoQuote.Quote(value)} failed: {Errno.Describe(e.Errno)}");
            throw;
        }
        trace.Call($"write {path}", value);
        trace.Note(why);
    }

    private static void MakeDirectory(ICgroupFs fs, ITrace trace, string path, Narration why)
    {
        fs.MakeDirectory(path);
        trace.Call($"mkdir {path}", "0");
        trace.Note(why);
    }

    // Enables in DIR/cgroup.subtree_control the wanted controllers it does not list yet, so DIR's
    // children get their files. Only the root and directories MiniRun owns are ever written.
    private static void EnableControllers(ICgroupFs fs, ITrace trace, string dir, List<string> wanted, bool owned)
    {
        if (wanted.Count == 0) return;
        var enabled = Words(fs.Read(System.IO.Path.Combine(dir, "cgroup.subtree_control")));
        var missing = wanted.Where(c => !enabled.Contains(c)).ToList();
        if (missing.Count == 0)
        {
            trace.Note(Messages.CgroupControllersEnabled.With(System.IO.Path.Combine(dir, "cgroup.subtree_control"), string.Join(' ', wanted)));
            return;
        }
        if (!owned)
            throw new IOException($"enable controllers {string.Join(' ', missing)} in {dir}: MiniRun did not create this cgroup and does not " +
                $"modify it (its cgroup.subtree_control: {(enabled.Count == 0 ? "(empty)" : string.Join(' ', enabled))}); delegate them first");
        var available = Words(fs.Read(System.IO.Path.Combine(dir, "cgroup.controllers")));
        if (missing.FirstOrDefault(c => !available.Contains(c)) is { } absent)
            throw new IOException($"enable controller {absent} in {dir}: not available there (cgroup.controllers: " +
                $"{(available.Count == 0 ? "(empty)" : string.Join(' ', available))})");
        Write(fs, trace, System.IO.Path.Combine(dir, "cgroup.subtree_control"), string.Join(' ', missing.Select(c => "+" + c)),
            Messages.CgroupEnableWhy);
    }

    private static List<string> Words(string text) => text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).ToList();

    private static bool IsMiniRunOwned(string rel) =>
        rel == DefaultParent || rel.StartsWith(DefaultParent + "/", StringComparison.Ordinal);

    private static string CheckRelative(string path, string what)
    {
        var trimmed = path.Trim('/');
        var parts = trimmed.Split('/');
        if (trimmed.Length == 0 || parts.Any(p => p is "" or "." or ".."))
            throw new ArgumentException($"{what} {GoQuote.Quote(path)}: must be a path below the cgroup root without . or .. components");
        return trimmed;
    }
}
