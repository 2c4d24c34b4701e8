// CgroupReservationTests: the store's note for a cgroup `run` makes before the container's record
// exists (Containers/CgroupReservation.cs), against a temporary root and a plain directory that
// stands for the cgroup2 mount (rmdir of an empty directory is what the sweep does; no kernel
// cgroup is touched). A second descriptor's flock conflicts with the first's even in one process,
// so "its `run` is alive" is a note held here.
using MiniRun.Containers;

namespace MiniRun.Tests.Containers;

public sealed class CgroupReservationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("minirun-note-").FullName;
    private readonly string _mount = Directory.CreateTempSubdirectory("minirun-fakecg-").FullName;

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_mount, recursive: true);
    }

    private static string NewId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private string Cgroup(string id)
    {
        string dir = Path.Combine(_mount, "minirun", id);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>open(2) and read(2): FileStream would take its own flock and meet the note's.</summary>
    private static unsafe string ReadRaw(string path)
    {
        int fd = MiniRun.Kernel.Libc.open(path, MiniRun.Kernel.Libc.O_RDONLY | MiniRun.Kernel.Libc.O_CLOEXEC, 0);
        Assert.True(fd >= 0, $"open {path}");
        try
        {
            var buffer = new byte[4096];
            nint n;
            fixed (byte* p = buffer) n = MiniRun.Kernel.Libc.read(fd, p, (nuint)buffer.Length);
            return System.Text.Encoding.UTF8.GetString(buffer, 0, (int)n);
        }
        finally { MiniRun.Kernel.Libc.close(fd); }
    }

    private static string NotePath(ContainerStore store, string id) => Path.Combine(store.Root, CgroupReservation.Prefix + id);

    [Fact]
    public void ANoteHeldByItsRunKeepsTheCgroup_ThenBecomesTheContainersFile_WhichRmReleases()
    {
        var store = new ContainerStore(_root);
        string? dir = null;
        CgroupReservation? note = null;
        var record = store.Create(null, r =>
        {
            dir = Cgroup(r.Id);
            note = CgroupReservation.Begin(store, r.Id, dir);
            return r;
        });
        string file = Path.Combine(store.DirOf(record.Id), CgroupReservation.FileName);
        Assert.Equal(dir + "\n", ReadRaw(NotePath(store, record.Id)));
        Assert.Equal(0, CgroupReservation.Sweep(store, _mount));   // its `run` holds it
        Assert.True(Directory.Exists(dir));
        Assert.True(File.Exists(NotePath(store, record.Id)));

        note!.Handover();
        Assert.False(File.Exists(NotePath(store, record.Id)));
        Assert.Equal(dir + "\n", File.ReadAllText(file));
        Assert.Equal(0, CgroupReservation.Sweep(store, _mount));
        Assert.True(Directory.Exists(dir));

        Directory.CreateDirectory(Path.Combine(dir!, "busy"));   // rmdir fails as EBUSY would while a process is in it
        CgroupReservation.Release(store, record.Id, _mount);
        Assert.True(Directory.Exists(dir));
        Assert.True(File.Exists(file));   // for a later rm
        Directory.Delete(Path.Combine(dir!, "busy"));
        CgroupReservation.Release(store, record.Id, _mount);
        Assert.False(Directory.Exists(dir));
        Assert.False(File.Exists(file));
        CgroupReservation.Release(store, record.Id, _mount);   // nothing left: nothing to do
    }

    [Fact]
    public void ANoteDisposedWithoutHandover_Goes_AndItsCgroupIsNotTouched()
    {
        var store = new ContainerStore(_root);
        string id = NewId(), dir = Cgroup(id);
        CgroupReservation.Begin(store, id, dir).Dispose();
        Assert.False(File.Exists(NotePath(store, id)));
        Assert.True(Directory.Exists(dir));   // init's Abort removes it, not the note
    }

    [Fact]
    public void ANoteWhoseRunDied_ItsEmptyCgroupAndTheNoteGo()
    {
        var store = new ContainerStore(_root);
        string id = NewId(), dir = Cgroup(id);
        File.WriteAllText(NotePath(store, id), dir + "\n");   // as a killed `run` left it: written, unlocked
        Assert.Equal(1, CgroupReservation.Sweep(store, _mount));
        Assert.False(Directory.Exists(dir));
        Assert.False(File.Exists(NotePath(store, id)));
        Assert.True(Directory.Exists(Path.Combine(_mount, "minirun")));   // the parent is shared: it stays
    }

    [Fact]
    public void ACgroupStillHoldingSomething_StaysAndSoDoesItsNoteForTheNextSweep()
    {
        var store = new ContainerStore(_root);
        string id = NewId(), dir = Cgroup(id);
        Directory.CreateDirectory(Path.Combine(dir, "busy"));   // rmdir fails as EBUSY would for a cgroup with a process
        File.WriteAllText(NotePath(store, id), dir + "\n");
        Assert.Equal(0, CgroupReservation.Sweep(store, _mount));
        Assert.True(Directory.Exists(dir));
        Assert.True(File.Exists(NotePath(store, id)));
        Directory.Delete(Path.Combine(dir, "busy"));
        Assert.Equal(1, CgroupReservation.Sweep(store, _mount));
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void ANoteOfADeadRunWhoseRecordExists_IsHandedOverToTheContainer()
    {
        var store = new ContainerStore(_root);
        var record = store.Create(null, r => r);
        string dir = Cgroup(record.Id);
        File.WriteAllText(NotePath(store, record.Id), dir + "\n");   // killed after the record, before its Handover
        Assert.Equal(0, CgroupReservation.Sweep(store, _mount));
        Assert.True(Directory.Exists(dir));
        Assert.False(File.Exists(NotePath(store, record.Id)));
        Assert.Equal(dir + "\n", File.ReadAllText(Path.Combine(store.DirOf(record.Id), CgroupReservation.FileName)));
    }

    [Fact]
    public void ReleaseRemovesOnlyTheContainersOwnCgroup()
    {
        var store = new ContainerStore(_root);
        var record = store.Create(null, r => r);
        string victim = Directory.CreateTempSubdirectory("minirun-victim-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(store.DirOf(record.Id), CgroupReservation.FileName), victim + "\n");
            CgroupReservation.Release(store, record.Id, _mount);
            Assert.True(Directory.Exists(victim));
        }
        finally { Directory.Delete(victim); }
    }

    [Theory]
    [InlineData("/elsewhere/{id}")]          // not below the mount
    [InlineData("{mount}/minirun/other")]    // not this note's id
    [InlineData("{mount}/../{id}")]          // climbs out
    [InlineData("{mount}/{id}/..")]
    [InlineData("")]
    public void ANoteNamingAnythingButItsOwnCgroup_RemovesNothing(string written)
    {
        var store = new ContainerStore(_root);
        string id = NewId(), dir = Cgroup(id);
        string victim = Directory.CreateTempSubdirectory("minirun-victim-").FullName;
        try
        {
            string text = written.Replace("{id}", id).Replace("{mount}", _mount);
            File.WriteAllText(NotePath(store, id), text + "\n");
            Assert.Equal(0, CgroupReservation.Sweep(store, _mount));
            Assert.True(Directory.Exists(dir));
            Assert.False(File.Exists(NotePath(store, id)));   // a note that names nothing of ours is dropped
            Assert.False(CgroupReservation.IsCgroupOf(victim, id, _mount));
        }
        finally { Directory.Delete(victim); }
    }

    [Fact]
    public void WithoutACgroup2Mount_NothingIsRemoved()
    {
        var store = new ContainerStore(_root);
        string id = NewId(), dir = Cgroup(id);
        File.WriteAllText(NotePath(store, id), dir + "\n");
        Assert.Equal(0, CgroupReservation.Sweep(store, null));
        Assert.True(Directory.Exists(dir));
    }
}
