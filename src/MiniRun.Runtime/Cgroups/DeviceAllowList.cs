// DeviceAllowList: what linux.resources.devices decides for one device, read without the kernel,
// and whether a container whose rules cannot be attached to a cgroup is kept to them by nodev
// mounts instead (Init/NodevDeviceSteps.cs).
//
// Why: the device allow list is enforced by the eBPF program of Cgroups/DeviceFilter.cs, which
// needs a cgroup v2 cgroup to hang on. A container can have none: a host without a cgroup2
// filesystem (cgroup v1 only), or `--cgroup-manager disabled` (podman --cgroups=disabled).
// There the list would be silently unenforced, and a node shipped in an image layer or made
// with mknod (CAP_MKNOD is in Docker's default set) would open the host's disk. The same
// guarantee comes from the mount flags instead: every mount of the container is nodev (the
// kernel refuses to open any device node on it, EACCES), and each device node the runtime made
// and the rules allow is its own bind mount without nodev. What that cannot express:
//   - a node the rules allow for reading only (or writing only): a bind mount opens both ways
//     or not at all, so such a spec is refused by name (SpecProblem) rather than given more;
//   - mknod (m): still allowed or refused by capabilities alone, but a node made in the
//     container never opens (nodev), which is what Docker's "c *:* m" rules come to anyway;
//   - a device the rules allow but the runtime did not make (a rule with no linux.devices
//     entry, e.g. `--device-cgroup-rule` with a node made later): it stays unopenable.
// The rules are read as DeviceFilter's program reads them: for each access the last matching
// rule decides, then DeviceFilter.DefaultAllowed (null, zero, full, random, urandom, tty, ptmx,
// pts) are allowed whatever the rules say; no rule at all means no list (nothing to keep).
//
// Follows: runtime-spec config-linux.md "Allowed Device list"; mount(2) MS_NODEV; the kernel's
// fs/namei.c may_open() (a device node on a nodev mount: EACCES).
using MiniRun.Spec;

namespace MiniRun.Cgroups;

public static class DeviceAllowList
{
    /// <summary>The accesses (r, w, m) the rules plus the defaults allow for device TYPE MAJOR:MINOR (type 'c' or 'b').</summary>
    public static DeviceAccess Allowed(IReadOnlyList<DeviceRule> rules, char type, long major, long minor)
    {
        var all = rules.Concat(DeviceFilter.DefaultAllowed).ToList();
        var allowed = DeviceAccess.None;
        foreach (var bit in new[] { DeviceAccess.Read, DeviceAccess.Write, DeviceAccess.Mknod })
            for (int i = all.Count - 1; i >= 0; i--)
            {
                var r = all[i];
                if (!r.Access.HasFlag(bit) || !Matches(r, type, major, minor)) continue;
                if (r.Allow) allowed |= bit;
                break;
            }
        return allowed;
    }

    /// <summary>True when the rules allow reading and writing every device (Docker's --privileged: "a *:* rwm").</summary>
    public static bool AllowsEverything(IReadOnlyList<DeviceRule> rules)
    {
        foreach (var bit in new[] { DeviceAccess.Read, DeviceAccess.Write })
        {
            bool everything = false;
            for (int i = rules.Count - 1; i >= 0; i--)
            {
                var r = rules[i];
                if (!r.Access.HasFlag(bit)) continue;
                if (!r.Allow) break;   // a later deny names some device: not everything
                if (r.Type == 'a' && r.Major < 0 && r.Minor < 0) { everything = true; break; }
            }
            if (!everything) return false;
        }
        return true;
    }

    /// <summary>The spec has a device list that denies something: without a cgroup it must be kept by nodev mounts.</summary>
    public static bool NeedsKeeping(RuntimeSpec spec) =>
        spec.Linux.Resources?.Devices is { Count: > 0 } list && !AllowsEverything(DeviceFilter.Rules(list));

    /// <summary>
    /// Why this spec cannot be kept by nodev mounts (a linux.devices node the rules allow one
    /// way only); null when it can. Only meaningful when <see cref="NeedsKeeping"/>.
    /// </summary>
    public static string? ProblemWithoutCgroup(RuntimeSpec spec)
    {
        var rules = DeviceFilter.Rules(spec.Linux.Resources?.Devices ?? []);
        var devices = spec.Linux.Devices ?? [];
        for (int i = 0; i < devices.Count; i++)
        {
            var d = devices[i];
            if (d.Type == "p" || d.Major is not long major || d.Minor is not long minor) continue;
            var rw = Allowed(rules, d.Type == "b" ? 'b' : 'c', major, minor) & (DeviceAccess.Read | DeviceAccess.Write);
            if (rw is DeviceAccess.Read or DeviceAccess.Write)
                return $"config.json: linux.devices[{i}] ({d.Path}): linux.resources.devices allows it for " +
                       $"{(rw == DeviceAccess.Read ? "reading" : "writing")} only; this container has no cgroup for the device filter, " +
                       "and the nodev mounts that keep the list without one can give a node both or neither";
        }
        return null;
    }

    /// <summary>linux.devices node TYPE MAJOR:MINOR opens under the rules (both r and w allowed).</summary>
    public static bool Opens(IReadOnlyList<DeviceRule> rules, char type, long major, long minor) =>
        (Allowed(rules, type, major, minor) & (DeviceAccess.Read | DeviceAccess.Write)) == (DeviceAccess.Read | DeviceAccess.Write);

    private static bool Matches(DeviceRule r, char type, long major, long minor) =>
        (r.Type == 'a' || r.Type == type) && (r.Major < 0 || r.Major == major) && (r.Minor < 0 || r.Minor == minor);
}
