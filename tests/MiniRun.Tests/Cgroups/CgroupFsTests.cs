// CgroupFsTests: the real file seam (open/write/read/mkdir/rmdir with errno) on a temporary
// directory, never on /sys/fs/cgroup.
using MiniRun.Cgroups;
using MiniRun.Kernel;

namespace MiniRun.Tests.Cgroups;

public sealed class CgroupFsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minirun-cgfsreal-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Write_read_mkdir_rmdir()
    {
        var fs = CgroupFs.Instance;
        var d = Path.Combine(_dir, "ab12");
        fs.MakeDirectory(d);
        File.WriteAllText(Path.Combine(d, "pids.max"), "");
        fs.Write(Path.Combine(d, "pids.max"), "100");
        Assert.Equal("100", fs.Read(Path.Combine(d, "pids.max")));
        File.Delete(Path.Combine(d, "pids.max"));
        fs.RemoveDirectory(d);
        Assert.False(fs.Exists(d));
    }

    [Fact]
    public void Errors_name_the_file_the_value_and_errno()
    {
        var fs = CgroupFs.Instance;
        var f = Path.Combine(_dir, "memory.max");
        Assert.Equal($"write {f} \"1\": No such file or directory (ENOENT)", Assert.Throws<KernelException>(() => fs.Write(f, "1")).Message);
        Assert.Equal($"read {f}: No such file or directory (ENOENT)", Assert.Throws<KernelException>(() => fs.Read(f)).Message);
        Assert.Equal($"mkdir {_dir}: File exists (EEXIST)", Assert.Throws<KernelException>(() => fs.MakeDirectory(_dir)).Message);
        var full = Path.Combine(_dir, "full");
        Directory.CreateDirectory(Path.Combine(full, "child"));
        Assert.Equal($"rmdir {full}: Directory not empty (ENOTEMPTY)", Assert.Throws<KernelException>(() => fs.RemoveDirectory(full)).Message);
    }
}
