// TopProcessesTests: which processes belong to a container (same PID namespace as its PID 1, or
// in its cgroup) and the `ps -ef` columns read from a fake /proc.
using MiniRun.Cli;
using MiniRun.Tests.Ps;

namespace MiniRun.Tests.Inspect;

public sealed class TopProcessesTests : IDisposable
{
    private readonly FakeContainers _f = new();
    public void Dispose() => _f.Dispose();

    private void Process(int pid, string ns, int nspid, string cmdline)
    {
        _f.AddProcess(pid, 1000, ppid: 300);
        string dir = Path.Combine(_f.Proc, pid.ToString());
        Directory.CreateDirectory(Path.Combine(dir, "ns"));
        File.CreateSymbolicLink(Path.Combine(dir, "ns", "pid"), ns);
        File.WriteAllText(Path.Combine(dir, "status"), $"Name:\tsleep\nUid:\t0\t1000\t1000\t1000\nNSpid:\t{pid}\t{nspid}\n");
        File.WriteAllText(Path.Combine(dir, "cmdline"), cmdline);
    }

    [Fact]
    public void MembersShareThePidNamespaceOrTheCgroup()
    {
        Process(300, "pid:[4026532999]", 1, "sleep\030\0");
        Process(301, "pid:[4026532999]", 7, "sh\0");
        Process(302, "pid:[4026531836]", 302, "bash\0");
        Process(303, "pid:[4026531836]", 303, "other\0");
        string cg = Path.Combine(_f.Dir, "cg", "sub");
        Directory.CreateDirectory(cg);
        File.WriteAllText(Path.Combine(cg, "cgroup.procs"), "303\n");
        Assert.Equal([300, 301], TopProcesses.Members(300, null, _f.Proc));
        Assert.Equal([300, 301, 303], TopProcesses.Members(300, Path.Combine(_f.Dir, "cg"), _f.Proc));
    }

    [Fact]
    public void RowHasPsEfColumnsAndTheContainerPid()
    {
        Process(301, "pid:[4026532999]", 7, "sleep\030\0");
        File.WriteAllText(Path.Combine(_f.Proc, "uptime"), "100.00 50.00\n");
        File.WriteAllText(Path.Combine(_f.Proc, "stat"), "cpu 1 2 3\nbtime 1714564800\n");
        string passwd = Path.Combine(_f.Dir, "passwd");
        File.WriteAllText(passwd, "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n");
        var row = TopProcesses.Row(301, DateTimeOffset.FromUnixTimeSeconds(1714564800 + 100), _f.Proc, passwd)!;
        Assert.Equal("alice", row.Uid);        // effective uid, the second value of Uid:
        Assert.Equal(301, row.Pid);
        Assert.Equal("7", row.NsPid);
        Assert.Equal(300, row.Ppid);
        Assert.Equal("pts/0", row.Tty);
        Assert.Equal("00:00:02", row.Time);    // utime 150 + stime 50 ticks
        Assert.Equal("2", row.C);              // 2 s of CPU in 90 s of life
        Assert.Equal("sleep 30", row.Cmd);
        Assert.Null(TopProcesses.Row(999, DateTimeOffset.UtcNow, _f.Proc, passwd));
    }

    [Theory]
    [InlineData(0L, "?")]
    [InlineData(34816L, "pts/0")]
    [InlineData(34817L, "pts/1")]
    [InlineData(1025L, "tty1")]
    [InlineData(1088L, "ttyS0")]
    public void TtyNames(long ttyNr, string expected) => Assert.Equal(expected, TopProcesses.Tty(ttyNr));

    [Theory]
    [InlineData(0, "00:00:00")]
    [InlineData(3725, "01:02:05")]
    [InlineData(90061, "1-01:01:01")]
    public void CpuTimes(double seconds, string expected) => Assert.Equal(expected, TopProcesses.CpuTime(seconds));
}
