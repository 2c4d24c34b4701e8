// OciEnginesCgroupTests: podman and containerd drive minirun-oci on a real cgroup v2 (the test VM;
// elsewhere they skip, saying why), so the limits the engines put into config.json's
// linux.resources reach the kernel:
//   podman (cgroupfs manager, a cgroup parent of the test's own): run --rm --memory --pids-limit
//     --network none reads memory.max and pids.max inside and a fork loop stops at the pids limit
//     (the forks happen inside the container, nothing else is touched); run -d puts the container
//     in a cgroup under the parent, exec joins it, stop and rm remove it;
//   containerd (its runc shim v2): ctr run --memory-limit reads memory.max inside (through a
//     cgroup mount the test adds: ctr's spec has none); run -d puts the task in /NAMESPACE/ID with
//     the limit, task delete removes that cgroup.
// The engines are private to each test (Oci/OciEngines.cs): storage, state, config and daemon under
// /tmp, removed at the end with every cgroup under the test's parent.
//
// Follows: runtime-spec config-linux.md "Control groups"; podman-run(1) --memory, --pids-limit,
// --cgroup-parent; ctr(8) run --memory-limit; Documentation/admin-guide/cgroup-v2.rst (memory.max,
// pids.max, pids.events).
using System.Text.RegularExpressions;
using MiniRun.Tests.Oci;
using static MiniRun.Tests.Oci.OciEngines;

namespace MiniRun.Tests.CgroupV2;

[Collection(OciEngineTests.HostMountTable)]
public sealed class OciEnginesCgroupTests
{
    [CgroupV2Fact("memory", "pids", Tools = ["podman", "conmon"])]
    public void Podman_run_applies_memory_and_pids_limits_and_a_fork_loop_stops_at_the_pids_limit()
    {
        using var pm = new Podman();
        // The fork loop runs in an inner sh, which dies at its first failed fork; the outer sh then
        // reads the files with builtins only, since every pid of the container is taken.
        var r = Sh($"{pm.Cmd} run --rm --network none --cgroup-parent {pm.CgroupParent} --memory 64m --pids-limit 20 busybox sh -c '" +
                   "echo memory.max=$(cat /sys/fs/cgroup/memory.max) pids.max=$(cat /sys/fs/cgroup/pids.max); " +
                   "sh -c \"for i in \\$(seq 50); do sleep 60 & done\"; " +
                   "while read -r k v; do echo pids.events.$k=$v; done < /sys/fs/cgroup/pids.events; " +
                   "read -r n < /sys/fs/cgroup/pids.current; echo pids.current=$n'", pm.Env);
        Assert.True(r.Code == 0, r.Output);
        Assert.Contains("memory.max=67108864 pids.max=20\n", r.Output);
        var denied = Regex.Match(r.Output, @"pids\.events\.max=(\d+)");
        Assert.True(denied.Success && int.Parse(denied.Groups[1].Value) > 0, $"no fork was refused: {r.Output}");
        Assert.False(Directory.Exists("/sys/fs/cgroup" + pm.CgroupParent) &&
                     Directory.GetDirectories("/sys/fs/cgroup" + pm.CgroupParent, "*libpod-*", SearchOption.AllDirectories).Length > 0,
                     "run --rm left the container's cgroup behind");
    }

    [CgroupV2Fact("memory", Tools = ["podman", "conmon"])]
    public void Podman_run_detached_exec_stop_and_rm_with_the_container_in_its_cgroup()
    {
        using var pm = new Podman();
        var run = Sh($"{pm.Cmd} run -d --name web --network none --cgroup-parent {pm.CgroupParent} --memory 48m busybox sleep 300", pm.Env);
        Assert.True(run.Code == 0, run.Output);
        var pid = Sh($"{pm.Cmd} inspect --format '{{{{.State.Pid}}}}' web", pm.Env);
        Assert.True(pid.Code == 0, pid.Output);
        // The container's cgroup as the host sees it: under the test's parent, with the limit.
        string path = File.ReadAllText($"/proc/{pid.Output.Trim()}/cgroup").Trim()["0::".Length..];
        string cgroup = "/sys/fs/cgroup" + path;
        Assert.StartsWith(pm.CgroupParent + "/", path);
        Assert.Equal("50331648", File.ReadAllText(Path.Combine(cgroup, "memory.max")).Trim());

        var exec = Sh($"{pm.Cmd} exec web sh -c 'cat /sys/fs/cgroup/memory.max; cat /proc/self/cgroup'", pm.Env);
        Assert.Equal((0, "50331648\n0::/\n"), (exec.Code, exec.Output));   // exec joins the container's cgroup (and its cgroup namespace)

        var stop = Sh($"{pm.Cmd} stop -t 1 web", pm.Env);
        Assert.True(stop.Code == 0, stop.Output);
        Assert.Contains("Exited (137)", Sh($"{pm.Cmd} ps -a", pm.Env).Output);
        Assert.Equal(0, Sh($"{pm.Cmd} rm web", pm.Env).Code);
        Assert.False(Directory.Exists(cgroup), $"{cgroup} is left behind after rm");
    }

    [CgroupV2Fact("memory", Tools = ["containerd", "ctr", "containerd-shim-runc-v2"])]
    public void Containerd_ctr_run_applies_the_memory_limit_and_task_delete_removes_the_cgroup()
    {
        using var ctd = new Containerd();
        string ctr = ctd.Ctr, image = Containerd.Image, rt = Containerd.RuncBinary;

        // ctr's spec mounts no cgroup filesystem and asks for no cgroup namespace: the test adds the
        // mount, the container sees the whole hierarchy and finds its own cgroup by /proc/self/cgroup.
        string cgroupfs = "--mount type=cgroup,src=cgroup,dst=/sys/fs/cgroup,options=ro:nosuid:nodev:noexec";
        var once = Sh($"{ctr} run --rm {rt} {cgroupfs} --memory-limit 67108864 {image} m1 sh -c 'c=$(cut -d: -f3 /proc/self/cgroup); echo $c; cat /sys/fs/cgroup$c/memory.max'");
        Assert.Equal((0, $"/{ctd.Namespace}/m1\n67108864\n"), (once.Code, once.Output));

        Assert.Equal(0, Sh($"{ctr} run -d {rt} --memory-limit 33554432 {image} m2 sleep 300").Code);
        string cgroup = $"/sys/fs/cgroup/{ctd.Namespace}/m2";   // the shim's cgroupsPath: /NAMESPACE/ID
        Assert.Equal("33554432", File.ReadAllText(Path.Combine(cgroup, "memory.max")).Trim());
        var pid = Sh($"{ctr} task ls | awk '$1 == \"m2\" {{ print $2 }}'").Output.Trim();
        Assert.Contains(pid, File.ReadAllText(Path.Combine(cgroup, "cgroup.procs")).Split('\n'));
        Assert.Equal(0, Sh($"{ctr} task kill -s SIGKILL m2").Code);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!Sh($"{ctr} task ls").Output.Contains("STOPPED")) { Assert.True(DateTime.UtcNow < deadline, "m2 did not stop"); Thread.Sleep(100); }
        Assert.Equal(0, Sh($"{ctr} task delete m2").Code);
        Assert.False(Directory.Exists(cgroup), $"{cgroup} is left behind after task delete");
        Assert.Equal(0, Sh($"{ctr} container delete m2").Code);
    }
}
