// DeviceFilterCgroupTests: linux.resources.devices in a container made with the OCI verbs
// (`minirun-oci run` on a umoci bundle with a linux.cgroupsPath), seen from inside: a node the
// rules deny cannot be opened (EPERM) nor made with mknod (except the linux.devices nodes, which init
// makes after the filter is attached), a node they allow opens, and the
// runtime's default devices (/dev/null, /dev/zero) stay usable even when a rule denies them.
// Without a cgroupsPath they apply in a cgroup beside the runtime's own; with --cgroup-manager
// disabled init keeps them with nodev mounts (docs/security.md "Devices"). Runs on the host (the hybrid layout's
// /sys/fs/cgroup/unified runs cgroup BPF programs) and in the VM
// (tests/vm/run-tests-in-vm.sh --filter 'FullyQualifiedName~DeviceFilter').
//
// Safe by construction: the nodes use the experimental major 240, which no driver owns; an open
// that passes the filter ends in ENXIO ("No such device or address"), one it stops in EPERM.
// No real device is opened. The cgroup is the container's own and goes with it.
using System.Text.Json.Nodes;
using MiniRun.Tests.Oci;

namespace MiniRun.Tests.CgroupV2;

public sealed class DeviceFilterCgroupTests
{
    private const string Probe = """
        o() { [ -e "$1" ] || { echo "open $1: missing"; return; }; if ( exec 3<>"$1" ) 2>/tmp/e; then echo "open $1: ok"; else echo "open $1: $(cat /tmp/e)"; fi; }
        m() { if mknod "$1" c "$2" "$3" 2>/tmp/e; then echo "mknod $2:$3: ok"; else echo "mknod $2:$3: $(cat /tmp/e)"; fi; }
        o /dev/probe-allowed; o /dev/probe-denied; o /dev/null
        echo "zero bytes: $(head -c1 /dev/zero | wc -c)"
        m /tmp/n1 1 3; m /tmp/n2 240 2; m /tmp/n3 240 3
        o /tmp/n1; o /tmp/n3
        """;

    private static OciBundle Bundle(bool withCgroup)
    {
        var b = new OciBundle("sh", "-c", Probe);
        b.Edit(c =>
        {
            var caps = c["process"]!["capabilities"]!.AsObject();
            foreach (var set in new[] { "bounding", "effective", "permitted" })
                caps[set]!.AsArray().Add("CAP_MKNOD");
            var linux = c["linux"]!.AsObject();
            if (withCgroup) linux["cgroupsPath"] = "/minirun-devtest-" + Guid.NewGuid().ToString("N")[..10];
            linux["devices"] = new JsonArray(
                new JsonObject { ["path"] = "/dev/probe-allowed", ["type"] = "c", ["major"] = 240, ["minor"] = 2, ["fileMode"] = 438 },
                new JsonObject { ["path"] = "/dev/probe-denied", ["type"] = "c", ["major"] = 240, ["minor"] = 1, ["fileMode"] = 438 });
            linux["resources"] = new JsonObject
            {
                ["devices"] = new JsonArray(
                    new JsonObject { ["allow"] = false, ["access"] = "rwm" },
                    new JsonObject { ["allow"] = false, ["type"] = "c", ["major"] = 1, ["minor"] = 3, ["access"] = "rwm" },
                    new JsonObject { ["allow"] = true, ["type"] = "c", ["major"] = 240, ["minor"] = 2, ["access"] = "rw" }),
            };
        });
        return b;
    }

    [Fact]
    public void Denied_devices_cannot_be_opened_or_made_and_the_default_devices_stay_usable()
    {
        using var b = Bundle(withCgroup: true);
        var r = b.Run("run", "--bundle", b.Dir, "devices");
        Assert.True(r.Code == 0, r.Err);
        var lines = r.Out.Trim().Split('\n');
        Assert.Equal(9, lines.Length);
        Assert.Matches("^open /dev/probe-allowed: .*No such device or address", lines[0]);   // through the filter, to no driver
        Assert.Matches("^open /dev/probe-denied: .*Operation not permitted", lines[1]);
        Assert.Equal("open /dev/null: ok", lines[2]);                                           // denied by a rule, kept by the runtime
        Assert.Equal("zero bytes: 1", lines[3]);
        Assert.Equal("mknod 1:3: ok", lines[4]);                                                // CAP_MKNOD works...
        Assert.Equal("mknod 240:2: ok", lines[5]);                                              // ...a linux.devices node may be made...
        Assert.Matches("^mknod 240:3: .*Operation not permitted", lines[6]);                   // ...any other denied one not
        Assert.Equal("open /tmp/n1: ok", lines[7]);                                             // a null made in /tmp opens: the filter goes by numbers
        Assert.Equal("open /tmp/n3: missing", lines[8]);
        Assert.Empty(Directory.GetDirectories(b.StateRoot));
    }

    [Fact]
    public void Without_a_cgroups_path_the_rules_still_apply_in_a_cgroup_beside_the_runtime()
    {
        // As runc, the container gets a cgroup named after its id next to the runtime's own: its
        // device rules are never silently dropped.
        using var b = Bundle(withCgroup: false);
        var r = b.Run("run", "--bundle", b.Dir, "nocgpath");
        Assert.True(r.Code == 0, r.Err);
        Assert.Matches("open /dev/probe-denied: .*Operation not permitted", r.Out);
        Assert.Matches("mknod 240:3: .*Operation not permitted", r.Out);
        Assert.Empty(Directory.GetDirectories(b.StateRoot));
    }

    [Fact]
    public void With_the_cgroup_manager_disabled_the_rules_are_kept_by_nodev_mounts()
    {
        // podman --cgroups=disabled: no cgroup to attach the filter to, so init keeps the list with
        // mount flags (Init/NodevDeviceSteps.cs): only the nodes the runtime made and the rules
        // allow open; every other node, wherever it was made, fails with EACCES (nodev).
        using var b = Bundle(withCgroup: false);
        var r = b.Run("--cgroup-manager", "disabled", "run", "--bundle", b.Dir, "nocg");
        Assert.True(r.Code == 0, r.Err);
        var lines = r.Out.Trim().Split('\n');
        Assert.Equal(9, lines.Length);
        Assert.Matches("^open /dev/probe-allowed: .*No such device or address", lines[0]);   // its own bind mount, without nodev
        Assert.Matches("^open /dev/probe-denied: .*Permission denied", lines[1]);              // made, but left on the nodev /dev
        Assert.Equal("open /dev/null: ok", lines[2]);
        Assert.Equal("zero bytes: 1", lines[3]);
        Assert.Equal("mknod 1:3: ok", lines[4]);
        Assert.Equal("mknod 240:3: ok", lines[6]);                                              // mknod is up to capabilities...
        Assert.Matches("^open /tmp/n1: .*Permission denied", lines[7]);                        // ...but nothing made in the container opens,
        Assert.Matches("^open /tmp/n3: .*Permission denied", lines[8]);                        // not even a null
        Assert.Empty(Directory.GetDirectories(b.StateRoot));
    }

    [Fact]
    public void Without_a_cgroup_a_node_the_rules_allow_one_way_only_is_refused_by_name()
    {
        using var b = Bundle(withCgroup: false);
        b.Edit(c => c["linux"]!["resources"]!["devices"]!.AsArray()[2]!["access"] = "r");
        var r = b.Run("--cgroup-manager", "disabled", "run", "--bundle", b.Dir, "oneway");
        Assert.Equal(1, r.Code);
        Assert.Contains("linux.devices[0] (/dev/probe-allowed): linux.resources.devices allows it for reading only", r.Err);
        Assert.False(Directory.Exists(b.StateRoot) && Directory.GetDirectories(b.StateRoot).Length > 0, "nothing is left behind");
    }
}
