// UserNamespaceTests: the creation path can also make a user namespace whose uid_map and
// gid_map the parent writes while the child waits (sync 1 in SyncChannel), as rootless
// containers will need. The CLI does not offer it yet; this drives the same starter with a
// spec that asks for it, and checks inside the container that the maps are in place and that the
// user namespace's root owns the IPC namespace's mqueue filesystem.
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
    public void The_user_namespaces_root_owns_the_ipc_namespaces_mqueue_filesystem()
    {
        // The kernel gives a new IPC namespace's mqueue filesystem the creator's fsuid; created by
        // the host's root (unmapped inside) /dev/mqueue would show 65534 (clone_stage.c step 2b).
        using var b = new Oci.OciBundle("sh", "-c", "stat -c '%u %g %a' /dev/mqueue; readlink /proc/self/ns/ipc");
        b.Edit(c =>
        {
            var mounts = c["mounts"]!.AsArray();   // cgroup2 in a user namespace needs a cgroup namespace: not this test's subject
            foreach (var m in mounts.Where(m => (string?)m!["type"] == "cgroup").ToList()) mounts.Remove(m);
            c["linux"]!["namespaces"]!.AsArray().Add(System.Text.Json.Nodes.JsonNode.Parse("""{"type": "user"}"""));
            c["linux"]!["uidMappings"] = System.Text.Json.Nodes.JsonNode.Parse("""[{"containerID": 0, "hostID": 100000, "size": 65536}]""");
            c["linux"]!["gidMappings"] = System.Text.Json.Nodes.JsonNode.Parse("""[{"containerID": 0, "hostID": 100000, "size": 65536}]""");
        });
        Assert.Equal(0, Oci.OciBundle.Shell($"chown -R 100000:100000 '{b.Rootfs}' && chmod 755 '{b.Dir}'"));
        var r = b.Run("run", "--bundle", b.Dir, "mq");
        Assert.True(r.Code == 0, r.Err);
        var lines = r.Out.Split('\n');
        Assert.Equal("0 0 1777", lines[0]);
        Assert.NotEqual(new FileInfo("/proc/self/ns/ipc").LinkTarget, lines[1]);   // still a namespace of its own
    }

    [Fact]
    public void The_containers_root_may_set_supplementary_groups_in_its_user_namespace()
    {
        // A privileged runtime leaves /proc/PID/setgroups "allow" (as runc and crun): additionalGids work.
        using var b = new Oci.OciBundle("sh", "-c", "id; cat /proc/self/setgroups");
        b.Edit(c =>
        {
            var mounts = c["mounts"]!.AsArray();
            foreach (var m in mounts.Where(m => (string?)m!["type"] == "cgroup").ToList()) mounts.Remove(m);
            c["process"]!["user"]!["additionalGids"] = System.Text.Json.Nodes.JsonNode.Parse("[10]");
            c["linux"]!["namespaces"]!.AsArray().Add(System.Text.Json.Nodes.JsonNode.Parse("""{"type": "user"}"""));
            c["linux"]!["uidMappings"] = System.Text.Json.Nodes.JsonNode.Parse("""[{"containerID": 0, "hostID": 100000, "size": 65536}]""");
            c["linux"]!["gidMappings"] = System.Text.Json.Nodes.JsonNode.Parse("""[{"containerID": 0, "hostID": 100000, "size": 65536}]""");
        });
        Assert.Equal(0, Oci.OciBundle.Shell($"chown -R 100000:100000 '{b.Rootfs}' && chmod 755 '{b.Dir}'"));
        var r = b.Run("run", "--bundle", b.Dir, "groups");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal("uid=0(root) gid=0(root) groups=10\nallow\n", r.Out);
    }

    [Fact]
    public void TracePauseWaitsForEnterBeforeEachStep()
    {
        var r = _m.RunWith(string.Concat(Enumerable.Repeat("\n", 200)), null, "run", "--rm", "--trace=pause", "busybox", "true");
        Assert.Equal(0, r.ExitCode);
        int pauses = r.Stderr.Split("(paused: press Enter to run this step)").Length - 1;
        int steps = r.Stderr.Split("── ").Length - 2;   // every heading but the closing summary's, which has no step to run
        Assert.True(pauses >= 10, r.Stderr);
        Assert.Equal(steps, pauses);
    }
}
