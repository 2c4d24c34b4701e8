// AppArmorFactAttribute: a [Fact] that skips itself, naming what is missing, unless this host can
// confine containers with AppArmor (the module enabled, securityfs mounted, apparmor_parser
// installed: AppArmorHost.Enabled, the test `run` makes). WithoutAppArmorFactAttribute is its
// opposite, for what a host without AppArmor does.
//
// The development machine's kernel has no AppArmor: the confined tests skip there. The throwaway
// test VM (tests/vm/guest-tests.sh) sets MINIRUN_TEST_VM=1: its Debian kernel has AppArmor, so
// there nothing skips - a test whose host lost AppArmor fails instead of skipping (a VM stage
// that skipped them would prove nothing). Tests that change the kernel's policy for every
// container of the machine (unloading minirun-default) set VmOnly and run only there.
using MiniRun.Security;

namespace MiniRun.Tests.Security;

public sealed class AppArmorFactAttribute : FactAttribute
{
    public static bool InTestVm => Environment.GetEnvironmentVariable("MINIRUN_TEST_VM") == "1";

    public AppArmorFactAttribute()
    {
        if (!InTestVm && Missing() is { } missing)
            Skip = $"needs AppArmor able to confine containers (tests/vm/run-tests-in-vm.sh runs it); this host: {missing}";
    }

    /// <summary>Only in the throwaway test VM: the test unloads profiles every container of the machine uses.</summary>
    public bool VmOnly
    {
        get => _vmOnly;
        set
        {
            _vmOnly = value;
            if (value && !InTestVm)
                Skip ??= "unloads minirun-default from the kernel, which would leave this machine's running containers unconfined: runs only in the test VM (MINIRUN_TEST_VM=1, tests/vm/guest-tests.sh)";
        }
    }

    private bool _vmOnly;

    /// <summary>What keeps AppArmor from confining containers here, in words; null when nothing does.</summary>
    public static string? Missing()
    {
        if (new AppArmorHost().Enabled) return null;
        const string enabled = "/sys/module/apparmor/parameters/enabled";
        if (!File.Exists(enabled)) return $"the kernel has no AppArmor ({enabled} does not exist)";
        if (File.ReadAllText(enabled).Trim() != "Y") return $"AppArmor is disabled ({enabled} is not Y)";
        if (!Directory.Exists("/sys/kernel/security/apparmor")) return "securityfs is not mounted on /sys/kernel/security";
        return "apparmor_parser is not installed (Debian package apparmor; .ci/install-deps.sh)";
    }
}

public sealed class WithoutAppArmorFactAttribute : FactAttribute
{
    public WithoutAppArmorFactAttribute()
    {
        if (AppArmorFactAttribute.Missing() is null)
            Skip = "this host confines containers with AppArmor: AppArmorConfinementTests checks what happens here";
    }
}
