// OciRootfsPropagationTests: config.json's linux.rootfsPropagation "rshared" through minirun-oci,
// as containerd sends it for Kubernetes' Bidirectional mounts: a bind mount with "rshared" of a
// shared host mount carries mounts both ways, and the container's rootfs and its other mounts
// never reach the host, although the mount holding the bundle is shared too.
//
// Harmless if propagation fails: everything runs in a mount namespace of the test's own
// (unshare -m --propagation private); the machine's mount table is checked unchanged.
// Follows: runtime-spec config-linux.md "Rootfs Mount Propagation", config.md "Mounts",
// mount_namespaces(7) "Shared subtrees".
using System.Text.Json.Nodes;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Oci;

[Collection(OciEngineTests.HostMountTable)]
public sealed class OciRootfsPropagationTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("minirun-oci-rshared-").FullName;
    private readonly string[] _mountsBefore = MiniRunHost.HostMounts();

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void Rshared_root_and_an_rshared_bind_carry_mounts_both_ways_and_keep_the_rootfs_inside()
    {
        string src = Directory.CreateDirectory(Path.Combine(_work, "src")).FullName;
        string output = Path.Combine(_work, "out");
        using (var b = new OciBundle("sh", "-c",
            "grep ' /d ' /proc/self/mountinfo | grep -c shared: ; mkdir /d/sub && mount -t tmpfs -o size=1m inside /d/sub && " +
            "echo from-container > /d/sub/f && touch /mounted; while [ ! -e /go ]; do sleep 0.1; done; cat /d/host/seen"))
        {
            b.Edit(c =>
            {
                c["linux"]!["rootfsPropagation"] = "rshared";
                ((JsonArray)c["mounts"]!).Add(new JsonObject
                {
                    ["destination"] = "/d", ["type"] = "bind", ["source"] = src,
                    ["options"] = new JsonArray("rbind", "rw", "rshared"),
                });
                foreach (var set in new[] { "bounding", "effective", "permitted" })
                    ((JsonArray)c["process"]!["capabilities"]![set]!).Add("CAP_SYS_ADMIN");
            });
            string script = $$"""
                set -e
                mount -t tmpfs -o size=1m minirun-src {{src}}
                mount --make-shared {{src}}
                mount --bind {{b.Dir}} {{b.Dir}}
                mount --make-shared {{b.Dir}}
                under_bundle() { awk -v r={{b.Dir}} 'index($5, r "/") == 1' /proc/self/mountinfo | wc -l; }
                alive() { [ -e /proc/$1/stat ] && [ "$(cut -d' ' -f3 /proc/$1/stat)" != Z ]; }
                '{{b.Runtime}}' --root '{{b.StateRoot}}' run --bundle {{b.Dir}} rs1 </dev/null >{{output}} 2>&1 &
                pid=$!
                while [ ! -e {{b.Rootfs}}/mounted ] && alive $pid; do sleep 0.1; done
                echo "seen-here=$(cat {{src}}/sub/f 2>&1)"
                echo "under-bundle-while-running=$(under_bundle)"
                mkdir {{src}}/host
                mount -t tmpfs -o size=1m minirun-host {{src}}/host
                echo from-host > {{src}}/host/seen
                touch {{b.Rootfs}}/go
                code=0; wait $pid || code=$?
                echo "exit=$code"
                cat {{output}}
                echo "under-bundle-after=$(under_bundle)"
                """;
            var r = MiniRun.Tests.Registry.Tool.Run("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c", script]);
            Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
            Assert.Equal("seen-here=from-container\nunder-bundle-while-running=0\nexit=0\n1\nfrom-host\nunder-bundle-after=0\n", r.Stdout);
            Assert.False(Directory.Exists(Path.Combine(b.StateRoot, "rs1")));
        }
        Assert.Equal(_mountsBefore.Order(), MiniRunHost.HostMounts().Order());
    }
}
