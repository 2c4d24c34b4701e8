// CrunComparisonCgroupTests: one bundle, run once by crun and once by minirun-oci, gives the same
// observable container. The bundle (umoci unpack of the busybox fixture, Oci/OciBundle.cs) asks for
// a cgroup (linux.cgroupsPath, memory and pids limits, a cgroup namespace), a user namespace (uid
// and gid maps), a reduced capability set, noNewPrivileges, a seccomp profile that refuses mkdir
// with EPERM (harmless: the root is read-only anyway), a read-only root and umoci's masked and
// read-only paths. A probe script inside prints what a program can see of all that: hostname,
// ids and maps, the capability sets, NoNewPrivs and Seccomp, its cgroup and limits, mkdir's
// result, /dev, and the mount table (/proc/self/mountinfo without mount ids, device numbers and
// peer group numbers, sorted). The two outputs must be equal; a failure prints the diff.
//
// crun is the reference: an independent, widely used implementation of the same spec. crun 1.8
// refuses hybrid cgroup hosts like the development machine, so this runs in the cgroup v2 VM only
// (elsewhere it skips, saying why).
//
// Follows: runtime-spec config.md, config-linux.md; proc(5) /proc/pid/mountinfo and status;
// user_namespaces(7); seccomp(2); crun(1).
using System.Text.Json.Nodes;
using MiniRun.Cgroups;
using MiniRun.Tests.Oci;
using static MiniRun.Tests.Oci.OciEngines;

namespace MiniRun.Tests.CgroupV2;

public sealed class CrunComparisonCgroupTests : IDisposable
{
    private readonly CgroupV2Host _host = CgroupV2Host.Detect();
    private readonly string _parent = "minirun-test-cmp-" + Guid.NewGuid().ToString("N")[..8];
    private readonly OciBundle _bundle = new("sh", "/probe.sh");

    public void Dispose()
    {
        Sh($"crun --root '{_bundle.StateRoot}-crun' delete --force cmp 2>/dev/null; rm -rf '{_bundle.StateRoot}-crun'");
        _bundle.Dispose();
        if (_host.MountPoint is { } mount) RemoveCgroupTree(Path.Combine(mount, _parent));
    }

    // What a process can see of its container; every line is a fact both runtimes must agree on.
    private const string Probe = """
        echo "hostname: $(hostname)"
        echo "id: $(id)"
        grep -E '^(Cap[A-Za-z]+|NoNewPrivs|Seccomp|Seccomp_filters):' /proc/self/status
        echo "uid_map: $(cat /proc/self/uid_map)"
        echo "gid_map: $(cat /proc/self/gid_map)"
        echo "setgroups: $(cat /proc/self/setgroups)"
        echo "cgroup: $(cat /proc/self/cgroup)"
        echo "memory.max: $(cat /sys/fs/cgroup/memory.max)"
        echo "pids.max: $(cat /sys/fs/cgroup/pids.max)"
        mkdir /probe-dir 2>&1; echo "mkdir exit: $?"
        echo "masked /proc/kcore: $(wc -c < /proc/kcore)"
        echo "/dev:"
        cd /dev && for f in * .[!.]*; do
            if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"; elif [ -e "$f" ]; then stat -c '%n %A %u:%g %t,%T' "$f"; fi
        done; cd /
        echo "mounts:"
        awk '{ o = $4 " " $5 " " $6; i = 7; while ($i != "-") { t = $i; sub(/:[0-9]+/, "", t); o = o " " t; i++ } for (; i <= NF; i++) o = o " " $i; print o }' /proc/self/mountinfo | sort
        """;

    private const int HostId = 100000;

    private void MakeBundle()
    {
        File.WriteAllText(Path.Combine(_bundle.Rootfs, "probe.sh"), Probe + "\n");
        _bundle.Edit(c =>
        {
            var linux = c["linux"]!.AsObject();
            linux["cgroupsPath"] = $"/{_parent}/cmp";
            linux["resources"]!["memory"] = JsonNode.Parse("""{"limit": 67108864}""");
            linux["resources"]!["pids"] = JsonNode.Parse("""{"limit": 20}""");
            linux["namespaces"]!.AsArray().Add(JsonNode.Parse("""{"type": "cgroup"}"""));
            linux["namespaces"]!.AsArray().Add(JsonNode.Parse("""{"type": "user"}"""));
            linux["uidMappings"] = JsonNode.Parse($$"""[{"containerID": 0, "hostID": {{HostId}}, "size": 65536}]""");
            linux["gidMappings"] = JsonNode.Parse($$"""[{"containerID": 0, "hostID": {{HostId}}, "size": 65536}]""");
            linux["seccomp"] = JsonNode.Parse("""
                {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
                 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
                """);
            c["root"]!["readonly"] = true;
            c["hostname"] = "cmp-probe";
            var process = c["process"]!.AsObject();
            process["noNewPrivileges"] = true;
            process["capabilities"] = JsonNode.Parse("""
                {"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                 "effective": ["CAP_CHOWN", "CAP_KILL"],
                 "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]}
                """);
        });
        // The user namespace's root is host uid 100000: it owns the rootfs and can reach the bundle.
        var own = Sh($"chown -R {HostId}:{HostId} '{_bundle.Rootfs}' && chmod 755 '{_bundle.Dir}'");
        Assert.True(own.Code == 0, own.Output);
    }

    private (int Code, string Out, string Err) RunCrun()
    {
        string outFile = Path.Combine(_bundle.Dir, "crun.out"), errFile = Path.Combine(_bundle.Dir, "crun.err");
        var r = Sh($"crun --root '{_bundle.StateRoot}-crun' run -b '{_bundle.Dir}' cmp </dev/null >'{outFile}' 2>'{errFile}'");
        return (r.Code, File.ReadAllText(outFile), File.ReadAllText(errFile));
    }

    [CgroupV2Fact("memory", "pids", Tools = ["crun"])]
    public void The_same_bundle_gives_the_same_container_under_crun_and_minirun_oci()
    {
        MakeBundle();
        string cgroup = Path.Combine(_host.MountPoint!, _parent, "cmp");
        var crun = RunCrun();
        Assert.True(crun.Code == 0, $"crun: exit {crun.Code}: {crun.Err}");
        Assert.False(Directory.Exists(cgroup), $"crun left {cgroup} behind");
        var mine = _bundle.Run("run", "--bundle", _bundle.Dir, "cmp");
        Assert.True(mine.Code == 0, $"minirun-oci: exit {mine.Code}: {mine.Err}");
        Assert.False(Directory.Exists(cgroup), $"minirun-oci left {cgroup} behind");

        // The reference itself shows what the bundle asks for (so equal outputs are not equally empty).
        Assert.Contains("memory.max: 67108864\n", crun.Out);
        Assert.Contains("pids.max: 20\n", crun.Out);
        Assert.Contains($"uid_map:          0     {HostId}      65536\n", crun.Out);
        Assert.Contains("NoNewPrivs:\t1\n", crun.Out);
        Assert.Contains("Seccomp:\t2\n", crun.Out);
        Assert.Contains("Operation not permitted", crun.Out);

        string a = Normalize(crun.Out), b = Normalize(mine.Out);
        if (a != b)
        {
            File.WriteAllText(Path.Combine(_bundle.Dir, "a"), a);
            File.WriteAllText(Path.Combine(_bundle.Dir, "b"), b);
            var diff = Sh($"cd '{_bundle.Dir}' && diff -u --label crun a --label minirun-oci b");
            Assert.Fail($"crun and minirun-oci show different containers:\n{diff.Output}");
        }
    }

    /// <summary>
    /// Removes what legitimately differs between the two runtimes, the same way from both outputs;
    /// each rule says why. Mount lines are "root mountpoint flags [propagation] - fstype source superblock-options".
    /// </summary>
    private string Normalize(string output)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(_bundle.Dir, "config.json")))!;
        var masked = config["linux"]!["maskedPaths"]!.AsArray().Select(p => (string)p!).ToHashSet();
        var readOnly = config["linux"]!["readonlyPaths"]!.AsArray().Select(p => (string)p!).ToHashSet();
        var lines = new List<string>();
        foreach (var line in output.Split('\n'))
        {
            // runc and crun also make /dev/core -> /proc/kcore; runtime-spec (config-linux.md
            // "/dev symbolic links") names only fd, stdin, stdout and stderr, which both make.
            if (line == "core -> /proc/kcore") continue;
            var t = line.Split(' ').ToList();
            int dash = t.IndexOf("-");
            if (!line.StartsWith('/') || dash < 3 || t.Count < dash + 4) { lines.Add(line); continue; }
            string mountPoint = t[1], fsType = t[dash + 1];
            var flags = t[2].Split(',').ToList();
            var super = t[dash + 3].Split(',').ToList();
            // Asked read-only at mount(2), MiniRun's (and runc's) new superblock is read-only too;
            // crun mounts read-write and then makes the mount read-only. The mount's own flag,
            // compared above, is "ro" in both: sysfs and the tmpfs over masked directories.
            if (fsType == "sysfs" || (fsType == "tmpfs" && masked.Contains(mountPoint))) super.RemoveAll(o => o is "ro" or "rw");
            // crun caps the tmpfs over a masked directory at 0 bytes; MiniRun's is read-only:
            // nothing can be written there in either.
            if (fsType == "tmpfs" && masked.Contains(mountPoint)) super.Remove("size=0k");
            // The source of a cgroup2 mount is free text: MiniRun passes config.json's ("cgroup"),
            // as runc does; crun writes "cgroup2".
            if (fsType == "cgroup2") t[dash + 2] = "*";
            // MiniRun remounts read-only paths nosuid,nodev,noexec as well (Init/MaskPathsStep.cs:
            // stricter, and /proc holds no program, setuid file or device); crun keeps /proc's flags.
            if (readOnly.Contains(mountPoint)) flags.RemoveAll(o => o is "nosuid" or "nodev" or "noexec");
            // crun binds /dev/null read-only over masked files, MiniRun (as runc) read-write:
            // reading gives nothing in both, and a write goes to /dev/null.
            if (masked.Contains(mountPoint) && t[0] == "/null") flags[0] = "*";
            // In a user namespace both bind the host's device nodes into /dev; crun adds nosuid and
            // noexec to those binds, MiniRun keeps the host /dev's flags: neither applies to a device node.
            if (fsType == "devtmpfs" && mountPoint.StartsWith("/dev/")) flags.RemoveAll(o => o is "nosuid" or "noexec");
            t[2] = string.Join(',', flags);
            t[dash + 3] = string.Join(',', super);
            lines.Add(string.Join(' ', t));
        }
        return string.Join('\n', lines);
    }
}
