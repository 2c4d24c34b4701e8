// SecurityPolicy: the engine's security decisions for a new container, written into its
// config.json - capabilities, seccomp, no_new_privs, and what --privileged turns off.
//
// Why one place: each mechanism has its own file (CapabilityPolicy, SeccompPolicy,
// SecurityOptions); this is the order Docker applies them in, because they depend on each other:
//   1. capabilities: Docker's 14, --cap-add / --cap-drop, or all with --privileged;
//   2. process.noNewPrivileges from --security-opt no-new-privileges;
//   3. seccomp: none with --privileged or seccomp=unconfined, else the profile (the default one
//      or seccomp=FILE) converted for the capabilities of step 1 - so --cap-add SYS_ADMIN also
//      opens mount(2) in the filter, as in Docker;
//   4. AppArmor: minirun-default where the host has AppArmor, a named profile, or none
//      (unconfined, --privileged) - Security/AppArmor.cs;
//   5. --privileged: no masked or read-only /proc paths, /sys and its cgroup mount read-write.
//      (The device side of --privileged, every host device, is the device policy's.)
// The runtime core applies each field (Init/CapabilitiesStep.cs, Init/SeccompStep.cs,
// Init/ExecAttributesStep.cs, Init/MaskPathsStep.cs); nothing here touches the kernel.
//
// Follows: docker-run(1) "Runtime privilege and Linux capabilities", "--security-opt";
// moby daemon/oci_linux.go (WithCapabilities, WithSeccomp, privileged mounts and paths).
using MiniRun.Spec;

namespace MiniRun.Security;

public static class SecurityPolicy
{
    /// <summary>Applies the flags of <paramref name="o"/> to a spec SpecGenerator made (its user is already set).</summary>
    /// <param name="root">The MiniRun root: where the AppArmor profile's text is kept (Security/AppArmor.cs); null: no AppArmor decision (tests).</param>
    public static void Apply(RuntimeSpec spec, RunOptions o, string user, int? lastCap = null, SeccompHost? host = null, ulong? usable = null,
        string? root = null, IAppArmorHost? appArmor = null)
    {
        int last = lastCap ?? CapabilityPolicy.HostLastCap();
        var security = SecurityOptions.Parse(o.SecurityOpt);
        var caps = CapabilityPolicy.Resolve(o.CapAdd, o.CapDrop, o.Privileged, last, lastCap is null ? CapabilityPolicy.OwnBoundingSet() : usable);
        spec.Process.Capabilities = CapabilityPolicy.ForUser(caps, CapabilityPolicy.IsRootUser(user));
        spec.Process.NoNewPrivileges = security.NoNewPrivileges;
        if (o.Privileged || security.SeccompUnconfined) spec.Linux.Seccomp = null;
        else if (security.Seccomp is { } profile) spec.Linux.Seccomp = SeccompPolicy.Convert(profile, caps, host ?? SeccompHost.Current());
        else spec.Linux.Seccomp = SeccompPolicy.Convert(SeccompPolicy.DefaultProfileUtf8(), caps, host ?? SeccompHost.Current());
        if (root is not null)
            spec.Process.ApparmorProfile = AppArmor.ProfileFor(security.AppArmor, o.Privileged, root, appArmor);
        if (o.Privileged)
        {
            spec.Linux.MaskedPaths = [];
            spec.Linux.ReadonlyPaths = [];
            foreach (var m in spec.Mounts.Where(m => m.Destination is "/sys" or "/sys/fs/cgroup"))
                m.Options?.Remove("ro");
        }
    }
}
