// CVE-2021-30465 and CVE-2023-27561 (with CVE-2019-19921): mount destinations and /proc replaced
// by symlinks never make MiniRun mount, or create anything, outside the container's rootfs.
//
// The attacks: every mount is made from the host's side, before pivot_root, at "rootfs +
// destination". A naive runtime joins the strings and lets the kernel follow whatever symlinks the
// image put there: /data -> /host/dir mounts onto (and mkdirs inside) the host's /host/dir, and a
// destination such as /etc/../../../x leaves the rootfs by itself. runc resolved symlinks itself
// (securejoin) but then mounted by path: a second container sharing a volume swapped a checked
// directory for a symlink in between, and the mount landed on the host's "/" (CVE-2021-30465).
// An image whose /proc is a symlink (CVE-2019-19921, again CVE-2023-27561) got procfs mounted
// elsewhere, so /proc inside was a directory the attacker controls: the masked paths (and the
// LSM label runc wrote through /proc) silently applied to nothing.
//
// MiniRun's defence (Init/SpecMountSteps.cs, Kernel/LinuxKernel.cs): every destination is resolved
// as the container will see it (ScopedPath: absolute links restart at the rootfs, ".." stops at
// it), directories and files are created with mkdirat/openat in a parent opened by openat2
// RESOLVE_IN_ROOT, and the mount is made on the descriptor openat2(RESOLVE_IN_ROOT) returned
// (/proc/self/fd/N): the kernel resolves the whole path inside the rootfs in one call, so a swap
// between two steps can only move the mount to another place inside the rootfs. procfs and sysfs
// are refused on a destination that is a symlink.
//
// Harmless: every symlink points at a temporary directory the test owns; the only effect of a
// failed protection is an entry created there.
using System.Text.Json.Nodes;
using MiniRun.Spec;
using MiniRun.Tests.Integration;
using MiniRun.Tests.Oci;

namespace MiniRun.Tests.Security;

public sealed class MountSymlinkTests
{
    private static SpecMount Tmpfs(string destination) => new() { Destination = destination, Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "nodev"] };
    private static SpecMount Bind(string source, string destination) => new() { Destination = destination, Type = "bind", Source = source, Options = ["rbind"] };

    [Fact]
    public void Absolute_symlink_destinations_stay_in_the_rootfs()
    {
        using var outside = new OwnedDir();
        using var data = new OwnedDir();
        data.File("marker", "from-the-volume");
        using var b = new BundleRunner.Bundle();
        File.CreateSymbolicLink(Path.Combine(b.Rootfs, "abs"), outside.Path);   // the image: /abs -> a host path
        var spec = BundleRunner.Spec("sh", "-c", "cat /abs/vol/marker; echo; ls /abs");
        spec.Mounts = [.. spec.Mounts, Bind(data.Path, "/abs/vol"), Tmpfs("/abs/scratch")];
        var r = b.Run(spec);
        // A naive runtime: mkdir outside/vol and outside/scratch on the host, and mounts there.
        Assert.Empty(outside.Entries());
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("from-the-volume", r.Stdout);   // the mount is where the container looks: /abs/vol inside
    }

    [Fact]
    public void Relative_symlink_and_dotdot_destinations_stay_in_the_rootfs()
    {
        using var outside = new OwnedDir();
        using var b = new BundleRunner.Bundle();
        string up = string.Concat(Enumerable.Repeat("../", 16));
        File.CreateSymbolicLink(Path.Combine(b.Rootfs, "etc/rel"), up + outside.Path.TrimStart('/'));
        var spec = BundleRunner.Spec("sh", "-c", "grep -c ' /tmp/minirun-owned-' /proc/self/mountinfo");
        // /etc/rel -> ../../../..<outside>, and a destination that climbs by itself (runc's example /etc/../../../tmp/x).
        spec.Mounts = [.. spec.Mounts, Tmpfs("/etc/rel/sub"), Tmpfs("/etc/" + up + outside.Path.TrimStart('/') + "/dotdot")];
        var r = b.Run(spec);
        Assert.Empty(outside.Entries());
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("2", r.Stdout.Trim());   // both mounts exist inside, at <outside>/sub and <outside>/dotdot of the rootfs
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Proc_replaced_by_a_symlink_is_refused(bool absolute)
    {
        using var outside = new OwnedDir();
        using var b = new BundleRunner.Bundle();
        string proc = Path.Combine(b.Rootfs, "proc");
        Directory.Delete(proc);
        File.CreateSymbolicLink(proc, absolute ? outside.Path : string.Concat(Enumerable.Repeat("../", 16)) + outside.Path.TrimStart('/'));
        var r = b.Run(BundleRunner.Spec("sh", "-c", "echo STARTED; head -1 /proc/self/status"));
        // A naive runtime mounts procfs on the host's directory and starts a container whose /proc
        // is not procfs, its masked paths applied to nothing.
        Assert.Empty(outside.Entries());
        Assert.DoesNotContain("STARTED", r.Stdout);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("/proc", r.Stderr);
        Assert.Contains("symlink", r.Stderr);
    }

    /// <summary>
    /// The raced variant: container A and container B share a host directory (a volume); A swaps
    /// /shared/d between a directory and a symlink to a host directory as fast as it can, while B
    /// is started again and again with a mount on /shared/d/m. Bounded: 25 starts of B.
    /// </summary>
    [Fact]
    public void A_symlink_swapped_in_by_another_container_never_leads_a_mount_out()
    {
        using var outside = new OwnedDir();
        using var shared = new OwnedDir();
        using var a = new OciBundle("sh", "-c",
            $"while :; do mkdir /shared/d 2>/dev/null; rmdir /shared/d 2>/dev/null; ln -s {outside.Path} /shared/d 2>/dev/null; rm -f /shared/d; done");
        a.Edit(c => c["mounts"]!.AsArray().Add(new JsonObject
        {
            ["destination"] = "/shared", ["type"] = "bind", ["source"] = shared.Path, ["options"] = new JsonArray("rbind"),
        }));
        Assert.Equal(0, a.Run("run", "--detach", "--bundle", a.Dir, "swapper").Code);
        try
        {
            for (int i = 0; i < 25; i++)
            {
                using var b = new BundleRunner.Bundle();
                var spec = BundleRunner.Spec("true");
                spec.Mounts = [.. spec.Mounts, Bind(shared.Path, "/shared"), Tmpfs("/shared/d/m")];
                b.Run(spec);   // may fail when d vanished under it: only where it mounts matters
                Assert.Empty(outside.Entries());
            }
        }
        finally
        {
            a.Run("delete", "--force", "swapper");
        }
    }
}
