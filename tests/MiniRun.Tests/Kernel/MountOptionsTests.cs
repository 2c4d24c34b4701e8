// MountOptionsTests: mount(8)-style option words become MS_* flags and a data string.
using MiniRun.Kernel;

namespace MiniRun.Tests.Kernel;

public sealed class MountOptionsTests
{
    [Fact]
    public void FlagsAndDataAreSeparated()
    {
        var o = MountOptions.Parse(["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]);
        Assert.Equal(Libc.MS_NOSUID | Libc.MS_NOEXEC, o.Flags);
        Assert.Equal("newinstance,ptmxmode=0666,mode=0620,gid=5", o.Data);
    }

    [Fact]
    public void PropagationIsKeptApart()
    {
        var o = MountOptions.Parse(["rbind", "rprivate", "ro"]);
        Assert.Equal(Libc.MS_BIND | Libc.MS_REC | Libc.MS_RDONLY, o.Flags);
        Assert.Equal(Libc.MS_PRIVATE | Libc.MS_REC, o.PropagationFlags);
        Assert.Null(o.Data);
    }

    [Fact]
    public void LaterWordsWin() => Assert.Equal(0UL, MountOptions.Parse(["ro", "rw"]).Flags);

    [Fact]
    public void FlagNamesForTheTrace() =>
        Assert.Equal("MS_NOSUID|MS_NODEV|MS_REC", MountOptions.FlagNames(Libc.MS_REC | Libc.MS_NODEV | Libc.MS_NOSUID));
}
