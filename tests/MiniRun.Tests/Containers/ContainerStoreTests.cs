// ContainerStoreTests: ids, unique names under concurrency, lookup by name or id prefix, and
// removal that frees the name - against a temporary root, no kernel needed.
using MiniRun.Containers;
using MiniRun.Spec;

namespace MiniRun.Tests.Containers;

public sealed class ContainerStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("minirun-store-").FullName;
    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void NamesAreUniqueAndFreedOnRemoval()
    {
        var store = new ContainerStore(_root);
        var a = store.Create("web", r => r);
        var e = Assert.Throws<RunConfigException>(() => store.Create("web", r => r));
        Assert.Contains($"The container name \"/web\" is already in use by container \"{a.Id}\"", e.Message);
        store.Delete(a);
        Assert.False(Directory.Exists(store.DirOf(a.Id)));
        Assert.Equal("web", store.Create("web", r => r).Name);
    }

    [Fact]
    public void ConcurrentCreatesWithOneNameLetExactlyOneWin()
    {
        var store = new ContainerStore(_root);
        int won = 0, lost = 0;
        Parallel.For(0, 20, _ =>
        {
            try { new ContainerStore(_root).Create("same", r => r); Interlocked.Increment(ref won); }
            catch (RunConfigException) { Interlocked.Increment(ref lost); }
        });
        Assert.Equal(1, won);
        Assert.Equal(19, lost);
        Assert.Single(store.List());
    }

    [Fact]
    public void AnIdChosenBeforehandIsKeptOnlyWhenFresh()
    {
        var store = new ContainerStore(_root);
        string id = Naming.NewId();   // `run` chooses it before the clone: the cgroup is named after it
        Assert.Equal(id, store.Create("early", r => r, id).Id);
        Assert.True(File.Exists(Path.Combine(store.DirOf(id), "container.json")));
        Assert.Throws<InvalidOperationException>(() => store.Create("again", r => r, id));   // taken
        Assert.Throws<InvalidOperationException>(() => store.Create("bad", r => r, "../x"));   // not an id
        Assert.Single(store.List());
    }

    [Fact]
    public void GeneratedNamesAreDistinct()
    {
        var store = new ContainerStore(_root);
        var names = Enumerable.Range(0, 50).Select(_ => store.Create(null, r => r).Name).ToList();
        Assert.Equal(50, names.Distinct().Count());
        Assert.All(names, n => Assert.Matches("^[a-z]+_[a-z]+[0-9]*$", n));
    }

    [Fact]
    public void FindByNameIdOrPrefix()
    {
        var store = new ContainerStore(_root);
        var c = store.Create("db", r => r);
        Assert.Equal(c.Id, store.Find("db").Id);
        Assert.Equal(c.Id, store.Find("/db").Id);
        Assert.Equal(c.Id, store.Find(c.Id).Id);
        Assert.Equal(c.Id, store.Find(c.Id[..12]).Id);
        Assert.Throws<ContainerNotFoundException>(() => store.Find("nope"));
    }

    [Fact]
    public void RecordSurvivesARoundTrip()
    {
        var store = new ContainerStore(_root);
        var c = store.Create("rt", r => { r.Image = "busybox"; r.Command = ["sh", "-c", "exit 3"]; return r; });
        c.State.Status = "exited";
        c.State.ExitCode = 3;
        store.Save(c);
        var back = store.Find("rt");
        Assert.Equal("busybox", back.Image);
        Assert.Equal(["sh", "-c", "exit 3"], back.Command);
        Assert.Equal(3, back.State.ExitCode);
        Assert.False(File.Exists(Path.Combine(store.DirOf(c.Id), "container.json.tmp")));
    }
}
