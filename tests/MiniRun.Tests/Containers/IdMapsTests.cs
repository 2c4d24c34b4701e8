// IdMapsTests: the parent's writes of a user namespace's maps (Runtime/IdMaps.cs) against a fake
// /proc/PID directory: a privileged writer leaves setgroups alone ("allow", as runc and crun do),
// and a refused gid_map write makes it deny setgroups before it tries again.
using MiniRun.Runtime;
using MiniRun.Spec;

namespace MiniRun.Tests.Containers;

public sealed class IdMapsTests : IDisposable
{
    private readonly string _proc = Directory.CreateTempSubdirectory("minirun-idmaps-").FullName;
    public void Dispose() => Directory.Delete(_proc, recursive: true);

    private static readonly List<SpecIdMapping> Map = [new SpecIdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];

    private string Pid(int pid)
    {
        string dir = Path.Combine(_proc, pid.ToString());
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "setgroups"), "allow\n");
        return dir;
    }

    [Fact]
    public void A_privileged_writer_writes_both_maps_and_leaves_setgroups_allowed()
    {
        string dir = Pid(42);
        IdMaps.Write(42, Map, Map, null, _proc);
        Assert.Equal("0 100000 65536\n", File.ReadAllText(Path.Combine(dir, "uid_map")));
        Assert.Equal("0 100000 65536\n", File.ReadAllText(Path.Combine(dir, "gid_map")));
        Assert.Equal("allow\n", File.ReadAllText(Path.Combine(dir, "setgroups")));
    }

    [Fact]
    public void A_refused_gid_map_write_denies_setgroups_and_tries_again()
    {
        string dir = Pid(43);
        Directory.CreateDirectory(Path.Combine(dir, "gid_map"));   // every write of it is refused (UnauthorizedAccessException, as EPERM)
        var e = Assert.Throws<UnauthorizedAccessException>(() => IdMaps.Write(43, Map, Map, null, _proc));
        Assert.Equal($"write {dir}/gid_map: Operation not permitted (EPERM)", e.Message);
        Assert.Equal("deny", File.ReadAllText(Path.Combine(dir, "setgroups")));
    }
}
