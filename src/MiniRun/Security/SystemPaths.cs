// SystemPaths: the /proc and /sys paths a container must not read (masked) or write (read-only),
// Docker's lists, as config.json's linux.maskedPaths and linux.readonlyPaths.
//
// Why: procfs and sysfs are only partly namespaced. Masked (a file under /dev/null, a directory
// under an empty read-only tmpfs): /proc/kcore (host memory), /proc/keys, /proc/timer_list,
// /proc/sched_debug, /proc/latency_stats (host activity), /proc/acpi, /proc/asound, /proc/scsi,
// /sys/firmware (firmware tables, and writable controls), /sys/devices/virtual/powercap (RAPL
// energy counters: the Platypus side channel), /proc/interrupts and each CPU's
// /sys/devices/system/cpu/cpuN/thermal_throttle (thermal interrupt counts: a side channel,
// GHSA-6fw5-f8r9-fgfm, masked by Docker since 28.0). Read-only: /proc/sys (global kernel
// settings), /proc/sysrq-trigger (one write reboots or crashes the host), /proc/bus, /proc/fs,
// /proc/irq. The core applies them after pivot_root (Init/MaskPathsStep.cs); a path the host
// lacks is skipped.
//
// Follows: Docker's daemon/pkg/oci/defaults.go DefaultLinuxSpec (MaskedPaths, ReadonlyPaths) and
// moby PR 49560; runtime-spec config-linux.md "Masked Paths", "Readonly Paths"; proc(5).
namespace MiniRun.Security;

public static class SystemPaths
{
    /// <summary>Docker's masked paths, in Docker's order (without the per-CPU thermal_throttle directories).</summary>
    public static readonly IReadOnlyList<string> Masked =
    [
        "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
        "/sys/firmware", "/sys/devices/virtual/powercap",
    ];

    /// <summary>Docker's read-only paths.</summary>
    public static readonly IReadOnlyList<string> ReadOnly =
    [
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
    ];

    /// <summary>The masked paths for this host: <see cref="Masked"/> and every CPU's thermal_throttle that exists under <paramref name="sysRoot"/>.</summary>
    public static List<string> MaskedForHost(string sysRoot = "/sys")
    {
        var paths = Masked.ToList();
        string cpus = Path.Combine(sysRoot, "devices/system/cpu");
        try
        {
            foreach (var dir in Directory.EnumerateDirectories(cpus, "cpu*").Order(StringComparer.Ordinal))
            {
                string name = Path.GetFileName(dir);
                if (name.Length > 3 && name[3..].All(char.IsAsciiDigit) && Directory.Exists(Path.Combine(dir, "thermal_throttle")))
                    paths.Add($"/sys/devices/system/cpu/{name}/thermal_throttle");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return paths;
    }
}
