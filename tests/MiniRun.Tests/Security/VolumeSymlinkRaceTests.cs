// VolumeSymlinkRaceTests: CVE-2021-30465 as the attack was made, through the engine: two
// containers share a named volume; one swaps a directory in it for a symlink to a host
// directory as fast as it can, while the other is started again and again with a mount whose
// target lies under that directory (`--tmpfs /shared/d/m`). A runtime that checks the target and
// then mounts by path follows the symlink swapped in between and mounts on the host directory;
// MiniRun mounts on the descriptor openat2(RESOLVE_IN_ROOT) returned (Init/SpecMountSteps.cs), so
// a symlink can only move the mount to a place inside the rootfs.
// MountSymlinkTests races the core with a shared bind directory; this one goes through `run -v`.
//
// Harmless: the symlink points at a temporary directory the test owns; the only effect of a
// failed protection is a mount or an entry there (both checked, the mount removed).
using MiniRun.Tests.Integration;
using MiniRun.Tests.Oci;

namespace MiniRun.Tests.Security;

[Collection(OciEngineTests.HostMountTable)]
public sealed class VolumeSymlinkRaceTests : IDisposable
{
    private readonly MiniRunHost _m = new();
    public void Dispose() => _m.Dispose();

    [Fact]
    public void A_symlink_swapped_into_a_shared_volume_never_leads_a_mount_out()
    {
        using var outside = new OwnedDir();
        var swapper = _m.Run("run", "-d", "--name", "swapper", "-v", "shared:/shared", "busybox", "sh", "-c",
            $"while :; do mkdir /shared/d 2>/dev/null; rm -rf /shared/d; ln -s {outside.Path} /shared/d 2>/dev/null; rm -f /shared/d; done");
        Assert.True(swapper.ExitCode == 0, swapper.Stderr);
        try
        {
            int started = 0;
            for (int i = 0; i < 20; i++)
            {
                // may fail when d vanished under it ("no such file"): only where it mounts matters
                var r = _m.Run("run", "--rm", "-v", "shared:/shared", "--tmpfs", "/shared/d/m", "busybox", "true");
                if (r.ExitCode == 0) started++;
                Assert.Empty(outside.Entries());
                Assert.DoesNotContain(MiniRunHost.HostMounts(), m => m.StartsWith(outside.Path, StringComparison.Ordinal));
            }
            // The race was run, not skipped: some starts found d as a directory or a symlink and went on.
            Assert.True(started > 0, "no start of the second container succeeded");
        }
        finally
        {
            foreach (var m in MiniRunHost.HostMounts().Where(m => m.StartsWith(outside.Path, StringComparison.Ordinal)))
                System.Diagnostics.Process.Start("umount", ["-l", m])!.WaitForExit();
            _m.Run("rm", "-f", "swapper");
        }
    }
}
