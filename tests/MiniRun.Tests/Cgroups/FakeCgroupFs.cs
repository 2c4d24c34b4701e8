// FakeCgroupFs: a temporary directory that behaves like cgroupfs for the driver's unit tests.
//
// Why: the real /sys/fs/cgroup must never be touched by tests (and this machine's is hybrid).
// Like the kernel, mkdir creates the interface files of the controllers the parent enables;
// writing "+memory" to cgroup.subtree_control adds to the set; cgroup.freeze updates
// cgroup.events; a missing file gives ENOENT. Tests can make a write or an rmdir fail with an errno.
//
// Follows: Documentation/admin-guide/cgroup-v2.rst (interface files per controller).
using MiniRun.Cgroups;
using MiniRun.Kernel;

namespace MiniRun.Tests.Cgroups;

public sealed class FakeCgroupFs : ICgroupFs, IDisposable
{
    public string Root { get; }
    public List<(string Path, string Value)> Writes { get; } = new();
    public Dictionary<string, int> FailWrite { get; } = new();
    public int RmdirBusyTimes { get; set; }
    public bool FreezeTakesEffect { get; set; } = true;

    private static readonly Dictionary<string, string[]> ControllerFiles = new()
    {
        ["memory"] = ["memory.max", "memory.low", "memory.high", "memory.swap.max", "memory.oom.group", "memory.current", "memory.events"],
        ["cpu"] = ["cpu.max", "cpu.weight", "cpu.max.burst", "cpu.idle"],
        ["cpuset"] = ["cpuset.cpus", "cpuset.mems"],
        ["io"] = ["io.weight", "io.max", "io.stat"],
        ["pids"] = ["pids.max", "pids.current"],
    };

    /// <summary>A fake mount with the given controllers available at its root.</summary>
    public FakeCgroupFs(params string[] rootControllers)
    {
        Root = Directory.CreateTempSubdirectory("minirun-cgfs-").FullName;
        System.IO.File.WriteAllText(System.IO.Path.Combine(Root, "cgroup.controllers"), string.Join(' ', rootControllers) + "\n");
        System.IO.File.WriteAllText(System.IO.Path.Combine(Root, "cgroup.subtree_control"), "\n");
        System.IO.File.WriteAllText(System.IO.Path.Combine(Root, "cgroup.procs"), "1\n");
        System.IO.File.WriteAllText(System.IO.Path.Combine(Root, "cpu.stat"), "usage_usec 0\n");
    }

    public string P(string relative) => System.IO.Path.Combine(Root, relative);
    public string Text(string relative) => System.IO.File.ReadAllText(P(relative));
    public void Put(string relative, string text) => System.IO.File.WriteAllText(P(relative), text);

    /// <summary>Makes a directory as someone else would have (not through the driver).</summary>
    public void ForeignCgroup(string relative, string subtreeControl)
    {
        MakeDirectory(P(relative));
        Put(relative + "/cgroup.subtree_control", subtreeControl);
    }

    public bool Exists(string path) => Path.Exists(path);

    public string Read(string path) => System.IO.File.Exists(path)
        ? System.IO.File.ReadAllText(path)
        : throw new KernelException($"read {path}", Errno.ENOENT);

    public void Write(string path, string value)
    {
        if (FailWrite.TryGetValue(path, out var errno) || !System.IO.File.Exists(path))
            throw new KernelException($"write {path} \"{value}\"", FailWrite.GetValueOrDefault(path, Errno.ENOENT));
        Writes.Add((path, value));
        var name = System.IO.Path.GetFileName(path);
        var dir = System.IO.Path.GetDirectoryName(path)!;
        if (name == "cgroup.subtree_control")
        {
            var set = System.IO.File.ReadAllText(path).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).ToList();
            foreach (var w in value.Split(' '))
                if (w.StartsWith('+') && !set.Contains(w[1..])) set.Add(w[1..]);
                else if (w.StartsWith('-')) set.Remove(w[1..]);
            System.IO.File.WriteAllText(path, string.Join(' ', set) + "\n");
            return;
        }
        if (name == "cgroup.freeze" && FreezeTakesEffect)
            System.IO.File.WriteAllText(System.IO.Path.Combine(dir, "cgroup.events"), $"populated 1\nfrozen {value}\n");
        System.IO.File.WriteAllText(path, value);
    }

    public void MakeDirectory(string path)
    {
        if (Directory.Exists(path)) throw new KernelException($"mkdir {path}", Errno.EEXIST);
        var parent = System.IO.Path.GetDirectoryName(path)!;
        var enabled = System.IO.File.ReadAllText(System.IO.Path.Combine(parent, "cgroup.subtree_control"))
            .Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        Directory.CreateDirectory(path);
        void F(string n, string t) => System.IO.File.WriteAllText(System.IO.Path.Combine(path, n), t);
        F("cgroup.controllers", string.Join(' ', enabled) + "\n");
        F("cgroup.subtree_control", "\n");
        F("cgroup.procs", "");
        F("cgroup.events", "populated 0\nfrozen 0\n");
        F("cgroup.freeze", "0\n");
        F("cgroup.kill", "");
        F("cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\n");
        foreach (var c in enabled)
            foreach (var f in ControllerFiles.GetValueOrDefault(c, []))
                F(f, "");
    }

    public void RemoveDirectory(string path)
    {
        if (!Directory.Exists(path)) throw new KernelException($"rmdir {path}", Errno.ENOENT);
        if (RmdirBusyTimes > 0) { RmdirBusyTimes--; throw new KernelException($"rmdir {path}", Errno.EBUSY); }
        if (Directory.GetDirectories(path).Length > 0) throw new KernelException($"rmdir {path}", Errno.EBUSY);
        Directory.Delete(path, recursive: true);   // the kernel drops the interface files with the directory
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>An ITrace that keeps every line, to assert what --trace would narrate.</summary>
public sealed class RecordingTrace : MiniRun.Trace.ITrace
{
    public List<string> Lines { get; } = new();
    public bool Enabled => true;
    public void Step(MiniRun.Trace.Narration title, MiniRun.Trace.Narration why) => Lines.Add($"step {title.En}");
    public void Call(string call, string result) => Lines.Add($"{call} = {result}");
    public void Note(MiniRun.Trace.Narration narration) { string text = narration.En; Lines.Add($"note {text}"); }
    public void Listing(string text) => Lines.Add($"note {text}");
    public void Fact(MiniRun.Trace.TraceFact fact, string value) { }
}
