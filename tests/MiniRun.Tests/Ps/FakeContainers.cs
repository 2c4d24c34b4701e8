// FakeContainers: a temporary MiniRun root with container records and a fake /proc, so ps,
// inspect and top can be tested without running containers.
//
// Why: liveness is "the pid's /proc/PID/stat still has the recorded start time"; a fake proc
// directory with stat files (and ns symlinks) makes a record look running or dead on demand.
// Everything lives under one temporary directory, removed in Dispose.
using MiniRun.Containers;

namespace MiniRun.Tests.Ps;

public sealed class FakeContainers : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("minirun-ps-").FullName;
    public string Root => Path.Combine(Dir, "root");
    public string Proc => Path.Combine(Dir, "proc");
    public ContainerStore Store { get; }
    public DateTimeOffset Now { get; } = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    public FakeContainers()
    {
        Directory.CreateDirectory(Proc);
        Store = new ContainerStore(Root);
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    /// <summary>A container created <paramref name="ageSeconds"/> before Now, in <paramref name="status"/>.</summary>
    public ContainerRecord Add(string name, string status, int ageSeconds, int exitCode = 0, int pid = 0, bool alive = false,
        string image = "busybox", string imageId = "sha256:1111111111111111111111111111111111111111111111111111111111111111",
        string[]? command = null)
    {
        var r = Store.Create(name, r => r);
        return Store.Update(r.Id, c =>
        {
            c.Created = Now.AddSeconds(-ageSeconds);
            c.Image = image;
            c.ImageId = imageId;
            c.Command = (command ?? ["sleep", "30"]).ToList();
            c.State.Status = status;
            c.State.ExitCode = exitCode;
            c.State.Pid = pid;
            c.State.PidStartTime = pid == 0 ? 0UL : 4242UL;
            if (status != ContainerStatus.Created) c.State.StartedAt = Now.AddSeconds(-ageSeconds + 1);
            if (status == ContainerStatus.Exited) c.State.FinishedAt = Now.AddSeconds(-ageSeconds + 2);
            if (alive) AddProcess(pid, 4242);
        });
    }

    /// <summary>A fake /proc/PID/stat whose field 22 (starttime) is <paramref name="startTime"/>.</summary>
    public void AddProcess(int pid, ulong startTime, int ppid = 1, string comm = "sleep")
    {
        string dir = Path.Combine(Proc, pid.ToString());
        Directory.CreateDirectory(dir);
        // fields 3..22: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime
        File.WriteAllText(Path.Combine(dir, "stat"), $"{pid} ({comm}) S {ppid} {pid} {pid} 34816 0 0 0 0 0 0 150 50 0 0 20 0 1 0 {startTime} 0 0\n");
    }
}
