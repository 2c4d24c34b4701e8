// CapabilityInteropTests: the capability and rlimit tables match the kernel's numbering, capget
// with the version 3 ABI reads back what /proc/self/status shows (so the two-struct layout that
// capset uses is right), and LinuxKernel's new calls fail with one-line errors naming errno.
using MiniRun.Kernel;

namespace MiniRun.Tests.Kernel;

public sealed unsafe class CapabilityInteropTests
{
    [Theory]
    [InlineData("CAP_CHOWN", 0)]
    [InlineData("CAP_NET_BIND_SERVICE", 10)]
    [InlineData("CAP_SYS_ADMIN", 21)]
    [InlineData("CAP_SYS_RESOURCE", 24)]
    [InlineData("CAP_AUDIT_READ", 37)]
    [InlineData("CAP_CHECKPOINT_RESTORE", 40)]
    public void CapabilityNamesFollowLinuxCapabilityH(string name, int number)
    {
        Assert.Equal(number, CapabilityNames.Number(name));
        Assert.Equal(name, CapabilityNames.Name(number));
    }

    [Fact]
    public void UnknownNamesAndSetsFormat()
    {
        Assert.Null(CapabilityNames.Number("CAP_FLY"));
        Assert.Null(CapabilityNames.Number("cap_chown"));   // runtime-spec names are upper case
        Assert.Equal("capability 41", CapabilityNames.Name(41));
        Assert.Equal("0", CapabilityNames.Format(0));
        Assert.Equal("CAP_CHOWN|CAP_KILL|CAP_CHECKPOINT_RESTORE", CapabilityNames.Format(1UL | 1UL << 5 | 1UL << 40));
    }

    [Theory]
    [InlineData("RLIMIT_CPU", 0)]
    [InlineData("RLIMIT_CORE", 4)]
    [InlineData("RLIMIT_NPROC", 6)]
    [InlineData("RLIMIT_NOFILE", 7)]
    [InlineData("RLIMIT_RTTIME", 15)]
    public void RlimitNamesFollowAsmGenericResourceH(string name, int number)
    {
        Assert.Equal(number, RlimitNames.Number(name));
        Assert.Equal(name, RlimitNames.Name(number));
    }

    [Fact]
    public void CapgetVersion3ReadsWhatProcShows()
    {
        var header = new Libc.cap_user_header { version = Libc._LINUX_CAPABILITY_VERSION_3, pid = 0 };
        var data = stackalloc Libc.cap_user_data[2];
        Assert.Equal(0, Libc.capget(&header, data));
        ulong Set(Func<Libc.cap_user_data, uint> field) => field(data[0]) | (ulong)field(data[1]) << 32;
        var status = File.ReadAllLines("/proc/self/status").Select(l => l.Split(':', 2)).Where(f => f.Length == 2 && f[0].StartsWith("Cap", StringComparison.Ordinal))
            .ToDictionary(f => f[0], f => Convert.ToUInt64(f[1].Trim(), 16), StringComparer.Ordinal);
        Assert.Equal(status["CapEff"], Set(d => d.effective));
        Assert.Equal(status["CapPrm"], Set(d => d.permitted));
        Assert.Equal(status["CapInh"], Set(d => d.inheritable));
    }

    [Fact]
    public void AFailedWriteNamesTheTextThePathAndTheErrno()
    {
        string missing = Path.Combine(Path.GetTempPath(), "minirun-absent-" + Guid.NewGuid().ToString("N"), "x");
        var e = Assert.Throws<KernelException>(() => new LinuxKernel().WriteFile(missing, "1"));
        Assert.Equal($"write \"1\" to {missing}: No such file or directory (ENOENT)", e.Message);
    }
}
