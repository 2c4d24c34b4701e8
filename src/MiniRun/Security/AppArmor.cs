// AppArmor: which AppArmor profile a container's process gets (process.apparmorProfile), and
// MiniRun's default profile, minirun-default, loaded into the kernel when it is absent or changed.
//
// Why: on Ubuntu and Debian hosts AppArmor is the LSM, and Docker confines every container by its
// docker-default profile: no mount even with CAP_SYS_ADMIN, no writes to /proc/sys (but
// kernel.shm*), /proc/sysrq-trigger, /proc/kcore, /sys outside /sys/fs/cgroup, nothing at all in
// /sys/firmware or /sys/kernel/security; signals and ptrace only between processes of the same
// profile. minirun-default is MiniRun's own text with the same meaning (written from those
// documented rules; see docs/security.md "AppArmor"). It is loaded with `apparmor_parser -Kr`
// (replace, skip the cache) when the kernel does not list it or the text MiniRun wrote last time
// (kept in ROOT/apparmor/) differs from this version's: at `create`/`run`, and again before every
// later start (start, restart, the restart policy, `boot`), `exec` and health probe of a container
// whose config.json names it, because the kernel forgets profiles (a reboot, aa-remove-unknown,
// apparmor_parser -R) and the core would then fail to set the label (ENOENT). Docker reloads
// docker-default at the same points.
//
// The choice, as Docker makes it (`--security-opt apparmor=VALUE`, parsed by Security/SecurityOptions.cs):
//   no flag          minirun-default on a host where AppArmor can confine (enabled, securityfs,
//                    apparmor_parser installed: Docker's test); none elsewhere; none with --privileged
//   apparmor=unconfined   none
//   apparmor=PROFILE a profile the kernel already has; refused in one line on a host without
//                    AppArmor or when the kernel does not know it
// The core applies the profile at the container's execve (Init/AppArmorStep.cs) and at each
// `exec` (Native/exec_stage.c).
//
// Follows: apparmor(7), apparmor.d(5) (profile syntax), apparmor_parser(8) (-r, -K), the kernel's
// admin-guide/LSM/apparmor.rst (/sys/module/apparmor/parameters/enabled, securityfs "profiles"),
// docker-run(1) "--security-opt apparmor", Docker's "AppArmor security profiles for Docker".
using System.Diagnostics;
using MiniRun.Spec;

namespace MiniRun.Security;

/// <summary>What MiniRun asks of the host's AppArmor; a fake in tests.</summary>
public interface IAppArmorHost
{
    /// <summary>
    /// AppArmor can confine containers here: the module is enabled (/sys/module/apparmor/parameters/enabled
    /// is "Y"), securityfs shows /sys/kernel/security/apparmor, and apparmor_parser is installed -
    /// Docker's rule too: without the parser no profile can be loaded, and containers run without one.
    /// </summary>
    bool Enabled { get; }
    /// <summary>Names of the profiles the kernel has loaded (securityfs apparmor/profiles).</summary>
    IReadOnlySet<string> LoadedProfiles();
    /// <summary>apparmor_parser -Kr FILE; throws with its message when it fails.</summary>
    void Load(string file);
}

public static class AppArmor
{
    public const string DefaultProfile = "minirun-default";
    public const string Unconfined = "unconfined";

    /// <summary>
    /// process.apparmorProfile for a container: <paramref name="option"/> is the VALUE of
    /// --security-opt apparmor=VALUE, or null without the flag. <paramref name="root"/> is MiniRun's
    /// root (the default profile's text is kept in ROOT/apparmor/). Null: no profile.
    /// </summary>
    public static string? ProfileFor(string? option, bool privileged, string root, IAppArmorHost? host = null)
    {
        host ??= new AppArmorHost();
        if (option == Unconfined) return null;
        if (option is not null)
        {
            if (!host.Enabled)
                throw new RunConfigException($"--security-opt apparmor={option}: AppArmor is not enabled on this host (or apparmor_parser is not installed)");
            if (!host.LoadedProfiles().Contains(option))
                throw new RunConfigException($"--security-opt apparmor={option}: the kernel has no AppArmor profile {GoQuote.Quote(option)} (load it with apparmor_parser -r)");
            return option;
        }
        if (privileged || !host.Enabled) return null;
        EnsureDefaultLoaded(root, host);
        return DefaultProfile;
    }

    /// <summary>Loads minirun-default unless the kernel has it and ROOT/apparmor/minirun-default holds this version's text.</summary>
    public static void EnsureDefaultLoaded(string root, IAppArmorHost host)
    {
        string dir = Path.Combine(root, "apparmor"), file = Path.Combine(dir, DefaultProfile);
        bool same = File.Exists(file) && File.ReadAllText(file) == DefaultProfileText;
        if (same && host.LoadedProfiles().Contains(DefaultProfile)) return;
        Directory.CreateDirectory(dir);
        string temp = $"{file}.{Environment.ProcessId}.tmp";   // per process: two starts may load at once
        File.WriteAllText(temp, DefaultProfileText);
        File.Move(temp, file, overwrite: true);
        host.Load(file);
    }

    /// <summary>
    /// Before a start, an exec or a health probe of container <paramref name="id"/>: when its
    /// config.json names minirun-default and the host can confine, loads the profile again if the
    /// kernel lost it. Nothing for another profile (the user's to keep loaded) or on a host without
    /// AppArmor (the core refuses the label there in one line).
    /// </summary>
    public static void EnsureLoadedFor(MiniRun.Containers.ContainerStore store, string id, IAppArmorHost? host = null)
    {
        host ??= new AppArmorHost();
        if (!host.Enabled) return;
        string config = Path.Combine(store.DirOf(id), "config.json");
        if (!File.Exists(config) || RuntimeSpec.Load(config).Process.ApparmorProfile != DefaultProfile) return;
        EnsureDefaultLoaded(Path.GetDirectoryName(store.Root)!, host);   // store.Root is ROOT/containers
    }

    /// <summary>
    /// minirun-default. Each rule with the reason; the globs deny by first letters because
    /// AppArmor's globs have no "except": "/sys/[^f]**" is every path below /sys whose first
    /// component does not start with f, and so on down to /sys/fs/cgroup.
    /// </summary>
    public const string DefaultProfileText = """
        # minirun-default: the AppArmor profile MiniRun gives containers (src/MiniRun/Security/AppArmor.cs).
        # Written for MiniRun from the rules Docker documents for its docker-default profile.
        include <tunables/global>

        profile minirun-default flags=(attach_disconnected,mediate_deleted) {
          include <abstractions/base>

          # Everything a process does without AppArmor stays allowed: its files, the network,
          # the capabilities it holds (the capability sets limit those), unmounting.
          file,
          network,
          capability,
          umount,

          # Signals and ptrace only among this profile's processes; the host (unconfined) may signal them.
          signal (send, receive) peer=minirun-default,
          signal (receive) peer=unconfined,
          ptrace (trace, read, tracedby, readby) peer=minirun-default,

          # No mount of any kind, whatever the capabilities.
          deny mount,

          # /proc: no writes to its own files, nor below its directories other than a process's
          # (/proc/PID/...: oom_score_adj, comm...) and /proc/sys (below).
          deny @{PROC}/* w,
          deny @{PROC}/[^0-9s]*/** w,
          deny @{PROC}/s[^y]*/** w,
          deny @{PROC}/sy[^s]*/** w,
          deny @{PROC}/sys?*/** w,
          # /proc/sys: read-only but for kernel.shm* (its IPC namespace's own).
          deny @{PROC}/sys/[^k]** w,
          deny @{PROC}/sys/k[^e]** w,
          deny @{PROC}/sys/kernel/[^s]** w,
          deny @{PROC}/sys/kernel/s[^h]** w,
          deny @{PROC}/sys/kernel/sh[^m]** w,
          deny @{PROC}/sys/kernel/{s,sh} w,
          # The host's memory and the magic SysRq key: not even readable.
          deny @{PROC}/kcore rwklx,
          deny @{PROC}/kmem rwklx,
          deny @{PROC}/mem rwklx,
          deny @{PROC}/sysrq-trigger rwklx,

          # /sys: nothing writable outside /sys/fs/cgroup (the container's own cgroup).
          deny /sys/[^f]** wklx,
          deny /sys/f[^s]** wklx,
          deny /sys/fs/[^c]** wklx,
          deny /sys/fs/c[^g]** wklx,
          deny /sys/fs/cg[^r]** wklx,
          # Firmware tables, power capping, the LSMs' own files: not even readable.
          deny /sys/firmware/** rwklx,
          deny /sys/devices/virtual/powercap/** rwklx,
          deny /sys/kernel/security/** rwklx,
        }

        """;
}

/// <summary>A host without AppArmor, whatever this machine has: unit tests that build specs pass it, so they never load profiles.</summary>
public sealed class NoAppArmorHost : IAppArmorHost
{
    public static readonly NoAppArmorHost Instance = new();
    public bool Enabled => false;
    public IReadOnlySet<string> LoadedProfiles() => new HashSet<string>();
    public void Load(string file) => throw new InvalidOperationException("no AppArmor on this host");
}

/// <summary>The real host: sysfs, securityfs, apparmor_parser.</summary>
public sealed class AppArmorHost : IAppArmorHost
{
    public bool Enabled => File.Exists("/sys/module/apparmor/parameters/enabled")
        && File.ReadAllText("/sys/module/apparmor/parameters/enabled").Trim() == "Y"
        && Directory.Exists("/sys/kernel/security/apparmor")
        && (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/sbin").Split(':').Append("/sbin").Append("/usr/sbin")
            .Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, "apparmor_parser")));

    public IReadOnlySet<string> LoadedProfiles()
    {
        const string list = "/sys/kernel/security/apparmor/profiles";   // "NAME (MODE)" per line
        if (!File.Exists(list)) return new HashSet<string>();
        return File.ReadAllLines(list).Select(l => l.LastIndexOf(" (", StringComparison.Ordinal) is int i and > 0 ? l[..i] : l).ToHashSet();
    }

    public void Load(string file)
    {
        var psi = new ProcessStartInfo("apparmor_parser") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-Kr");
        psi.ArgumentList.Add(file);
        try
        {
            using var p = Process.Start(psi)!;
            string err = p.StandardError.ReadToEnd();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
                throw new RunConfigException($"load AppArmor profile {AppArmor.DefaultProfile}: apparmor_parser -Kr {file}: {err.Trim()}");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new RunConfigException($"load AppArmor profile {AppArmor.DefaultProfile}: apparmor_parser is not installed (Debian/Ubuntu package apparmor)");
        }
    }
}
