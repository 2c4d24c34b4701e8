// CVE-2025-31133, CVE-2025-52565, CVE-2025-52881: the files MiniRun itself uses while it builds
// the container - /dev/null for masking, /dev/console and the terminal, the /proc files sysctl
// writes to - replaced by symlinks or bind mounts never make MiniRun mask with, mount, or write
// a file the container chose.
//
// The attacks (runc before 1.2.8 / 1.3.3 / 1.4.0-rc.3):
//  - 31133: masked files are covered by bind-mounting the container's /dev/null. runc did not
//    check that /dev/null was the null device: made a symlink to /proc/sys/kernel/core_pattern
//    (by the image, or by a race), the "mask" became a writable bind mount of that host knob at
//    /proc/timer_list, and a write there set the host's core_pattern (code execution as root).
//  - 52565: runc bind-mounted the terminal onto /dev/console by path; a symlink there (or a
//    swapped /dev/pts/N) turned it into a mount of a file the attacker chose.
//  - 52881: runc's writes to /proc (sysctls, the AppArmor label in /proc/self/attr) followed
//    whatever was mounted over those files by then; a bind mount of another procfs file
//    redirected them (to core_pattern, or away from the LSM, leaving the container unconfined).
//
// MiniRun's defences: masking opens /dev/null without following a symlink, checks with fstat that
// it is the character device 1:3, and bind-mounts that very descriptor (open_tree + move_mount),
// or refuses to start (Init/MaskPathsStep.cs). MiniRun mounts nothing on /dev/console and takes
// the terminal's slave from its master (TIOCGPTPEER), never by a path. Writes into /proc go through
// a procfs instance of MiniRun's own (fsopen/fsmount: attached nowhere, so nothing can be mounted
// over its files) with openat2 RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV|RESOLVE_BENEATH (Kernel/PrivateProc.cs).
//
// Harmless: every redirect in these tests points at a file in a temporary directory the test owns,
// bind-mounted into the container at /owned; a failed protection changes only that file.
using MiniRun.Spec;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Security;

public sealed class ProcfsRedirectTests
{
    /// <summary>The default spec without its /dev tmpfs (so the image's own /dev is what /dev is), with /owned bound from the test's directory.</summary>
    private static RuntimeSpec ImageDevSpec(OwnedDir owned, params string[] args)
    {
        var spec = BundleRunner.Spec(args);
        spec.Mounts = [.. spec.Mounts.Where(m => m.Destination != "/dev"),
            new SpecMount { Destination = "/owned", Type = "bind", Source = owned.Path, Options = ["rbind"] }];
        return spec;
    }

    [Fact]
    public void Dev_null_a_symlink_is_never_used_to_mask()
    {
        using var owned = new OwnedDir();
        string target = owned.File("target", "original\n");
        using var b = new BundleRunner.Bundle();
        File.CreateSymbolicLink(Path.Combine(b.Rootfs, "dev/null"), "/owned/target");
        Directory.CreateDirectory(Path.Combine(b.Rootfs, "owned"));
        var r = b.Run(ImageDevSpec(owned, "sh", "-c", "echo PWNED > /proc/timer_list; echo STARTED"));
        // A naive runtime: /proc/timer_list becomes a writable bind mount of /owned/target (in
        // runc's exploit, of /proc/sys/kernel/core_pattern) and the container writes through it.
        Assert.Equal("original\n", File.ReadAllText(target));
        Assert.DoesNotContain("STARTED", r.Stdout);
        Assert.Contains("/dev/null", r.Stderr);
        Assert.Contains("1:3", r.Stderr);
    }

    [Fact]
    public void Dev_null_missing_is_made_and_the_masks_still_apply()
    {
        using var owned = new OwnedDir();
        using var b = new BundleRunner.Bundle();
        Directory.CreateDirectory(Path.Combine(b.Rootfs, "owned"));
        // No /dev/null in the image (runc skipped masking then, silently).
        var r = b.Run(ImageDevSpec(owned, "sh", "-c", "wc -c < /proc/timer_list; ls -l /dev/null"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n');
        Assert.Equal("0", lines[0].Trim());              // masked: /dev/null reads empty
        Assert.StartsWith("crw-rw-rw-", lines[1]);
        Assert.Contains("1,   3", lines[1]);
    }

    [Fact]
    public void Dev_console_a_symlink_gets_no_mount_and_the_terminal_is_the_containers_own()
    {
        using var owned = new OwnedDir();
        string console = owned.File("console", "original\n");
        using var b = new BundleRunner.Bundle();
        File.CreateSymbolicLink(Path.Combine(b.Rootfs, "dev/console"), "/owned/console");
        Directory.CreateDirectory(Path.Combine(b.Rootfs, "owned"));
        var spec = ImageDevSpec(owned, "sh", "-c",
            "grep -c ' /owned/console \\| /dev/console ' /proc/self/mountinfo > /owned/report; tty >> /owned/report");
        spec.Process.Terminal = true;
        var r = b.Run(spec, holdTerminal: true);
        Assert.True(r.ExitCode == 0, r.Stderr);
        // A naive runtime (runc) bind-mounts the terminal onto /dev/console, following the symlink:
        // a mount on /owned/console, and a write to the console lands in the test's file.
        Assert.Equal("original\n", File.ReadAllText(console));
        Assert.Equal(["0", "/dev/pts/0"], File.ReadAllLines(Path.Combine(owned.Path, "report")));
    }

    [Fact]
    public void Sysctl_write_is_not_redirected_by_a_mount_over_proc_sys()
    {
        using var owned = new OwnedDir();
        string knob = owned.File("ip_forward", "original\n");
        using var b = new BundleRunner.Bundle();
        var spec = BundleRunner.Spec("sh", "-c", "echo STARTED");
        // The bundle lays a bind mount over the file the sysctl is written to (in runc's exploit:
        // another procfs file such as /proc/sys/kernel/core_pattern, through a shared mount).
        spec.Mounts = [.. spec.Mounts,
            new SpecMount { Destination = "/proc/sys/net/ipv4/ip_forward", Type = "bind", Source = knob, Options = ["bind"] }];
        spec.Linux.Sysctl = new Dictionary<string, string> { ["net.ipv4.ip_forward"] = "1" };
        var r = b.Run(spec);
        // A naive runtime writes "1" through the mount: into the test's file.
        Assert.Equal("original\n", File.ReadAllText(knob));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("STARTED", r.Stdout);
    }
}
