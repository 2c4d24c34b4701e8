// UserNamespaceTests: the creation path can also make a user namespace whose uid_map and
// gid_map the parent writes while the child waits (sync 1 in SyncChannel), as rootless
// containers will need. The CLI does not offer it yet; this drives the same starter with a
// spec that asks for it, and checks inside the container that the maps are in place.
using MiniImage.Store;
using MiniRun.Runtime;
using MiniRun.Spec;

namespace MiniRun.Tests.Integration;

public sealed class UserNamespaceTests : IClassFixture<ContainerFactsTests.Host>
{
    private readonly MiniRunHost _m;
    public UserNamespaceTests(ContainerFactsTests.Host host) => _m = host.MiniRun;

    [Fact]
    public void ParentWritesTheMapsBeforeTheChildGoesOn()
    {
        var store = new ImageStore(_m.Root);
        var image = store.Resolve("busybox")!;
        string bundle = Path.Combine(_m.Root, "userns-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var d in new[] { "rootfs", "upper", "work" }) Directory.CreateDirectory(Path.Combine(bundle, d));
        try
        {
            var spec = SpecGenerator.Generate(store.ReadConfig(image),
                new RunOptions { Image = "busybox", Command = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map > /result; readlink /proc/self/ns/user >> /result"] },
                new string('b', 64), store.PrepareLayers(image), bundle, _ => null);
            spec.Linux.Namespaces.Add(new SpecNamespace { Type = "user" });
            spec.Linux.UidMappings = [new SpecIdMapping { ContainerId = 0, HostId = 0, Size = 65536 }];
            spec.Linux.GidMappings = [new SpecIdMapping { ContainerId = 0, HostId = 0, Size = 65536 }];
            EtcFiles.WriteAll(bundle, spec.Hostname!, null);
            spec.Save(Path.Combine(bundle, "config.json"));

            var started = ContainerStarter.Start(new StartRequest(bundle, spec, MiniRunHost.Binary, ConnectStdin: false));
            using var waiter = new ProcessWaiter();
            waiter.Attach(started.Pid);
            int status = waiter.Wait();
            Assert.True(started.FailureCode is null, started.FailureMessage);
            Assert.Equal(0, status);

            var lines = File.ReadAllLines(Path.Combine(bundle, "upper", "result")).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToList();
            Assert.Equal("0 0 65536", lines[0]);
            Assert.Equal("0 0 65536", lines[1]);
            Assert.NotEqual(new FileInfo("/proc/self/ns/user").LinkTarget, lines[2]);
        }
        finally
        {
            Directory.Delete(bundle, recursive: true);
        }
    }

    [Fact]
    public void TracePauseWaitsForEnterBeforeEachStep()
    {
        var r = _m.RunWith(string.Concat(Enumerable.Repeat("\n", 200)), null, "run", "--rm", "--trace=pause", "busybox", "true");
        Assert.Equal(0, r.ExitCode);
        int pauses = r.Stderr.Split("(paused: press Enter to run this step)").Length - 1;
        int steps = r.Stderr.Split("── ").Length - 1;
        Assert.True(pauses >= 10, r.Stderr);
        Assert.Equal(steps, pauses);
    }
}
