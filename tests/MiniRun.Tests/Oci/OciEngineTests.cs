// OciEngineTests: real engines drive minirun-oci as their low-level runtime, as they drive runc.
//   podman (with conmon): run --rm, run -d, exec, logs, stop, kill, rm, run -it through the
//     console socket, --network none, and podman's own bridge network (netavark) - the bridge
//     test runs podman inside a network namespace this test creates, so its bridge, veth and
//     firewall rules live and die there and no packet can leave the machine;
//   containerd (its runc shim v2, the path Kubernetes' CRI plugin takes): ctr run --rm, run -d,
//     task exec, kill, delete.
// Everything is private to the test: podman's storage and run directories and containers.conf,
// containerd's root, state and socket, a containerd namespace of its own (so the cgroups the
// shim asks for live under a parent named after the test, removed at the end). This host's
// cgroups are hybrid, so podman runs with --cgroups=disabled here; the VM stage runs cgroup v2.
//
// The engines themselves (private storage, configuration, daemon) are OciEngines.cs; the same
// engines with real limits run in the VM (CgroupV2/OciEnginesCgroupTests).
//
// Needs: root, podman and containerd (installed by .ci/install-deps.sh), umoci's busybox fixture.
using static MiniRun.Tests.Oci.OciEngines;

namespace MiniRun.Tests.Oci;

[Collection(HostMountTable)]
public sealed class OciEngineTests
{
    /// <summary>Podman mounts container roots and network namespaces on the host while it runs; tests that compare the host's mount table wait.</summary>
    public const string HostMountTable = "host mount table";

    [Fact]
    public void Podman_runs_execs_stops_and_removes_containers_through_minirun_oci()
    {
        using var pm = new Podman();
        string run = $"{pm.Cmd} run --cgroups=disabled --network none";
        var once = Sh($"{run} --rm busybox sh -c 'echo hello from podman; cat /proc/1/cmdline; echo'", pm.Env);
        Assert.True(once.Code == 0, once.Output);
        Assert.StartsWith("hello from podman\nsh", once.Output);

        var status = Sh($"{run} --rm busybox sh -c 'exit 42'", pm.Env);
        Assert.Equal(42, status.Code);

        var detached = Sh($"{run} -d --name web busybox sh -c 'echo started; exec sleep 300'", pm.Env);
        Assert.True(detached.Code == 0, detached.Output);
        var exec = Sh($"{pm.Cmd} exec web sh -c 'echo in exec; exit 7'", pm.Env);
        Assert.Equal((7, "in exec\n"), (exec.Code, exec.Output));
        Assert.Contains("Up ", Sh($"{pm.Cmd} ps", pm.Env).Output);
        Assert.Equal("started\n", Sh($"{pm.Cmd} logs web", pm.Env).Output);
        var stop = Sh($"{pm.Cmd} stop -t 1 web", pm.Env);
        Assert.True(stop.Code == 0, stop.Output);
        Assert.Contains("Exited (137)", Sh($"{pm.Cmd} ps -a", pm.Env).Output);   // sleep ignores SIGTERM as PID 1: killed after 1 s
        Assert.Equal(0, Sh($"{pm.Cmd} rm web", pm.Env).Code);

        Assert.Equal(0, Sh($"{run} -d --name k busybox sleep 300", pm.Env).Code);
        Assert.Equal(0, Sh($"{pm.Cmd} kill k", pm.Env).Code);
        Assert.Equal("137\n", Sh($"{pm.Cmd} wait k", pm.Env).Output);
        Assert.Equal(0, Sh($"{pm.Cmd} rm k", pm.Env).Code);
        Assert.Equal("", Sh($"find {pm.Dir}/run /run/minirun-oci -name state.json 2>/dev/null | xargs -r grep -l {pm.Dir}", pm.Env).Output);   // no state left
    }

    [Fact]
    public void Podman_run_it_gets_a_terminal_through_the_console_socket()
    {
        using var pm = new Podman();
        // script(1) gives podman a terminal of its own, as a student's shell would. A student's
        // terminal stays open; this test's stdin is closed at once, and script passes that EOF on
        // to podman -i, which then sometimes ended its attach before the output came (by hand with
        // stdin at /dev/null, 11 of 20 runs kept it). So script reads a FIFO held open until it ends.
        string fifo = Path.Combine(pm.Dir, "stdin.fifo");
        var r = Sh($"mkfifo {fifo}; sleep 120 > {fifo} 2>/dev/null & holder=$!; " +
                   $"script -qec \"{pm.Cmd} run -it --rm --cgroups=disabled --network none busybox sh -c 'tty; echo it-ok'\" /dev/null < {fifo}; " +
                   "rc=$?; kill $holder; exit $rc", pm.Env);
        Assert.True(r.Code == 0, r.Output);
        Assert.Contains("/dev/pts/0", r.Output);
        Assert.Contains("it-ok", r.Output);
    }

    [Fact]
    public void Podman_bridge_network_inside_a_private_network_namespace()
    {
        using var pm = new Podman();
        // unshare --net: podman, netavark, the bridge and the rules exist only in this new namespace.
        var r = Sh($"unshare --net sh -c \"ip link set lo up; {pm.Cmd} run --rm --cgroups=disabled busybox ip -4 -o addr show eth0\"", pm.Env);
        Assert.True(r.Code == 0, r.Output);
        Assert.Contains("inet 10.88.", r.Output);
    }

    [Fact]
    public void Containerd_runs_execs_kills_and_deletes_through_its_runc_shim()
    {
        using var ctd = new Containerd();
        string ctr = ctd.Ctr, image = Containerd.Image, rt = Containerd.RuncBinary;

        var once = Sh($"{ctr} run --rm {rt} {image} t1 sh -c 'echo hello from ctr; cat /proc/1/cmdline; echo'");
        Assert.True(once.Code == 0, once.Output);
        Assert.StartsWith("hello from ctr\nsh", once.Output);

        Assert.Equal(0, Sh($"{ctr} run -d {rt} {image} t2 sleep 300").Code);
        Assert.Contains("RUNNING", Sh($"{ctr} task ls").Output);
        var exec = Sh($"{ctr} task exec --exec-id e1 t2 sh -c 'echo exec in ctr; exit 5'");
        Assert.Equal((5, "exec in ctr\n"), (exec.Code, exec.Output));
        Assert.Equal(0, Sh($"{ctr} task kill -s SIGKILL t2").Code);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!Sh($"{ctr} task ls").Output.Contains("STOPPED")) { Assert.True(DateTime.UtcNow < deadline, "t2 did not stop"); Thread.Sleep(100); }
        Assert.Equal(0, Sh($"{ctr} task delete t2").Code);
        Assert.Equal(0, Sh($"{ctr} container delete t2").Code);
        Assert.Empty(Directory.Exists($"/run/containerd/runc/{ctd.Namespace}") ? Directory.GetDirectories($"/run/containerd/runc/{ctd.Namespace}") : []);
    }
}
