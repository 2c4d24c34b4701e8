// AppArmorConfinementTests: containers really confined by AppArmor, on a kernel that has it (the
// test VM: tests/vm/run-tests-in-vm.sh; skipped, naming what is missing, on a host without it).
//   - a default container runs under minirun-default in enforce mode (attr/current and
//     attr/apparmor/current), loaded by apparmor_parser from ROOT/apparmor/minirun-default;
//     with --init the command is confined too;
//   - the profile denies what only it denies: mount(2) by a process that holds CAP_SYS_ADMIN and
//     whose seccomp filter allows mount (--cap-add SYS_ADMIN); the same command unconfined
//     (apparmor=unconfined, --privileged) mounts, so the denial is AppArmor's;
//   - a named profile the kernel has confines the container; one it lacks is refused in one line
//     before anything is created;
//   - inspect's AppArmorProfile and live label, exec's label, a signal from the (unconfined) host;
//   - minirun-default unloaded from the kernel (as after a reboot) is loaded again by the next
//     exec and start (AppArmorReloadTests: in the test VM only, alone).
// Follows: apparmor(7), proc(5) /proc/PID/attr/current, docker-run(1) "--security-opt apparmor".
using System.Diagnostics;
using System.Text.Json;
using MiniRun.Security;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Security;

public sealed class AppArmorConfinementTests : IDisposable
{
    private readonly MiniRunHost _m = new();
    private readonly List<string> _loaded = new();
    private const string Enforced = "minirun-default (enforce)";

    public void Dispose()
    {
        _m.Dispose();
        foreach (var file in _loaded) AppArmorTestProfiles.Unload(file);
    }

    private string Out(params string[] args)
    {
        var r = _m.Run(args);
        Assert.True(r.ExitCode == 0, $"minirun {string.Join(' ', args)}: exit {r.ExitCode}: {r.Stderr}");
        return r.Stdout.Trim();
    }

    [AppArmorFact]
    public void A_default_container_runs_under_minirun_default_in_enforce_mode()
    {
        Assert.True(new AppArmorHost().Enabled, $"AppArmor cannot confine containers here: {AppArmorFactAttribute.Missing()}");
        Assert.Equal($"{Enforced}\n{Enforced}",
            Out("run", "--rm", "busybox", "sh", "-c", "cat /proc/self/attr/current; cat /proc/self/attr/apparmor/current"));
        Assert.Contains(Enforced, File.ReadAllLines("/sys/kernel/security/apparmor/profiles"));
        Assert.Equal(AppArmor.DefaultProfileText, File.ReadAllText(Path.Combine(_m.Root, "apparmor", AppArmor.DefaultProfile)));
        // --init: minirun init stays PID 1 (unconfined, see docs/security.md); the command it spawns is confined
        Assert.Equal(Enforced, Out("run", "--rm", "--init", "busybox", "cat", "/proc/self/attr/current"));
    }

    [AppArmorFact]
    public void The_profile_denies_mount_to_a_process_whose_capabilities_and_seccomp_allow_it()
    {
        const string probe = "cat /proc/self/attr/current; mkdir -p /mnt/t && mount -t tmpfs t /mnt/t && echo mounted";
        var confined = _m.Run("run", "--rm", "--cap-add", "SYS_ADMIN", "busybox", "sh", "-c", probe);
        Assert.Equal(Enforced, confined.Stdout.Trim());
        Assert.Contains("mounting t on /mnt/t failed: Permission denied", confined.Stderr);
        Assert.NotEqual(0, confined.ExitCode);

        // the same capabilities and seccomp filter without AppArmor: the mount works
        Assert.Equal("unconfined\nmounted", Out("run", "--rm", "--cap-add", "SYS_ADMIN", "--security-opt", "apparmor=unconfined", "busybox", "sh", "-c", probe));
        // --privileged: no profile, as in Docker
        Assert.Equal("unconfined\nmounted", Out("run", "--rm", "--privileged", "busybox", "sh", "-c", probe));
    }

    [AppArmorFact]
    public void A_named_profile_confines_and_one_the_kernel_lacks_is_refused_leaving_nothing()
    {
        string name = "minirun-test-" + Guid.NewGuid().ToString("N")[..8];
        string file = AppArmorTestProfiles.Load(name, "  file,\n  deny /etc/hostname r,\n");
        _loaded.Add(file);
        var r = _m.Run("run", "--rm", "--security-opt", $"apparmor={name}", "busybox", "sh", "-c", "cat /proc/self/attr/current; cat /etc/hostname");
        Assert.Equal($"{name} (enforce)", r.Stdout.Trim());
        Assert.Contains("can't open '/etc/hostname': Permission denied", r.Stderr);

        string absent = "minirun-test-absent-" + Guid.NewGuid().ToString("N")[..8];
        var refused = _m.Run("run", "--name", "aa-refused", "--security-opt", $"apparmor={absent}", "busybox", "true");
        Assert.Equal(125, refused.ExitCode);
        Assert.Equal($"minirun: Error response from daemon: --security-opt apparmor={absent}: the kernel has no AppArmor profile \"{absent}\" (load it with apparmor_parser -r).\nSee 'minirun run --help'.",
            refused.Stderr.Trim());
        Assert.Empty(_m.ContainerIds());
        Assert.Equal("", Out("ps", "-a", "-q"));
        Out("run", "--rm", "--name", "aa-refused", "busybox", "true");   // the name was not taken
    }

    [AppArmorFact]
    public void Inspect_exec_and_signals_see_the_confined_container()
    {
        Out("run", "-d", "--name", "aa-conf", "busybox", "sh", "-c", "trap 'exit 7' TERM; while :; do sleep 0.2; done");
        Assert.Equal("minirun-default", Out("inspect", "-f", "{{.AppArmorProfile}}", "aa-conf"));
        var conf = JsonDocument.Parse(Out("inspect", "aa-conf")).RootElement[0].GetProperty("MiniRun").GetProperty("Confinement");
        Assert.Equal("minirun-default", conf.GetProperty("Asked").GetProperty("AppArmor").GetString());
        Assert.Equal(Enforced, conf.GetProperty("Live").GetProperty("AppArmor").GetString());
        Assert.Equal("unconfined", conf.GetProperty("Host").GetProperty("AppArmor").GetString());
        Assert.Equal(Enforced, Out("exec", "aa-conf", "cat", "/proc/self/attr/current"));
        Assert.Equal(Enforced, Out("exec", "--privileged", "aa-conf", "cat", "/proc/self/attr/current"));   // as Docker's exec --privileged
        // the profile lets the host (unconfined) signal its processes: the trap runs
        Out("kill", "-s", "TERM", "aa-conf");
        Assert.Equal("7", Out("wait", "aa-conf"));
    }
}

[CollectionDefinition(AppArmorReloadTests.Name, DisableParallelization = true)]
public sealed class AppArmorReloadCollection;

/// <summary>
/// minirun-default lost by the kernel (a reboot, aa-remove-unknown, apparmor_parser -R) while a
/// container exists: its next exec and start load it again, as Docker reloads docker-default.
/// Alone (no other test starts containers meanwhile) and only in the test VM: unloading the
/// profile leaves every container of the machine unconfined.
/// </summary>
[Collection(Name)]
public sealed class AppArmorReloadTests : IDisposable
{
    public const string Name = "AppArmor profile unloaded";
    private readonly MiniRunHost _m = new();
    public void Dispose() => _m.Dispose();

    [AppArmorFact(VmOnly = true)]
    public void Exec_and_start_load_minirun_default_again_after_the_kernel_lost_it()
    {
        const string enforced = "minirun-default (enforce)";
        string file = Path.Combine(_m.Root, "apparmor", AppArmor.DefaultProfile);
        var run = _m.Run("run", "-d", "--name", "aa-reload", "busybox", "sleep", "300");
        Assert.True(run.ExitCode == 0, run.Stderr);

        AppArmorTestProfiles.Unload(file);
        Assert.DoesNotContain(enforced, File.ReadAllLines("/sys/kernel/security/apparmor/profiles"));
        var exec = _m.Run("exec", "aa-reload", "cat", "/proc/self/attr/current");
        Assert.True(exec.ExitCode == 0, exec.Stderr);
        Assert.Equal(enforced, exec.Stdout.Trim());

        Assert.Equal(0, _m.Run("stop", "-t", "0", "aa-reload").ExitCode);
        AppArmorTestProfiles.Unload(file);
        var start = _m.Run("start", "aa-reload");
        Assert.True(start.ExitCode == 0, start.Stderr);
        var again = _m.Run("exec", "aa-reload", "cat", "/proc/1/attr/current");
        Assert.Equal((0, enforced), (again.ExitCode, again.Stdout.Trim()));
    }
}

/// <summary>apparmor_parser for the tests: load a small profile of their own, unload by file.</summary>
public static class AppArmorTestProfiles
{
    /// <summary>Writes "profile NAME { RULES }" to a temporary file and loads it (-r); returns the file.</summary>
    public static string Load(string name, string rules)
    {
        string file = Path.Combine(Path.GetTempPath(), name);
        File.WriteAllText(file, $"profile {name} flags=(attach_disconnected,mediate_deleted) {{\n{rules}}}\n");
        Parser("-r", file);
        return file;
    }

    /// <summary>apparmor_parser -R FILE: the kernel forgets the profiles the file defines; the file goes too unless it is MiniRun's.</summary>
    public static void Unload(string file)
    {
        Parser("-R", file);
        if (Path.GetDirectoryName(file) == Path.GetTempPath().TrimEnd('/')) File.Delete(file);
    }

    private static void Parser(string op, string file)
    {
        var psi = new ProcessStartInfo("apparmor_parser") { RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(op);
        psi.ArgumentList.Add(file);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"apparmor_parser {op} {file}: {err}");
    }
}
