// OciFeatures: what `minirun-oci features` reports, and the starting config.json of `spec`.
//
// Why: an engine asks a runtime what it implements (runtime-spec features.md) before relying on
// it; the answer is built from the core's own tables (namespace types, mount option words), so
// it cannot claim what the core does not do. `spec` gives students a config.json to edit, in the
// same shape MiniRun's own engine writes.
//
// Follows: runtime-spec features.md and features-linux.md; runc-spec(8).
using System.Text.Json;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Spec;

namespace MiniRun.Cli;

internal static class OciFeatures
{
    public static string Json()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("ociVersionMin", "1.0.0");
            w.WriteString("ociVersionMax", "1.2.0");
            Strings(w, "hooks", new Spec.SpecHooks().All.Select(h => h.Kind));
            Strings(w, "mountOptions", MountOptions.Known.Order(StringComparer.Ordinal));
            w.WriteStartObject("linux");
            Strings(w, "namespaces", Namespaces.All.Select(n => n.Type));
            w.WriteStartObject("cgroup");
            w.WriteBoolean("v1", false);
            w.WriteBoolean("v2", true);
            w.WriteBoolean("systemd", false);
            w.WriteBoolean("systemdUser", false);
            w.WriteBoolean("rdma", false);   // linux.resources.rdma is refused (SpecValidator.NotImplemented)
            w.WriteEndObject();
            w.WriteStartObject("apparmor"); w.WriteBoolean("enabled", true); w.WriteEndObject();   // process.apparmorProfile is applied (Init/AppArmorStep.cs)
            w.WriteStartObject("selinux"); w.WriteBoolean("enabled", false); w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("annotations");
            w.WriteString("io.minirun.version", typeof(OciFeatures).Assembly.GetName().Version?.ToString(3) ?? "");
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    /// <summary>`spec`: a shell in ./rootfs with its own namespaces, the usual mounts, masked paths.</summary>
    public static RuntimeSpec DefaultSpec() => new()
    {
        Process = new SpecProcess
        {
            Terminal = true,
            Args = ["sh"],
            Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
            Cwd = "/",
            NoNewPrivileges = true,
        },
        Root = new SpecRoot { Path = "rootfs", Readonly = true },
        Hostname = "minirun",
        Mounts =
        [
            Mount("/proc", "proc", "proc"),
            Mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
            Mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
            Mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
            Mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
            Mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
        ],
        Linux = new SpecLinux
        {
            Namespaces = new[] { "pid", "network", "ipc", "uts", "mount", "cgroup" }.Select(t => new SpecNamespace { Type = t }).ToList(),
            MaskedPaths = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
            ReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    };

    private static SpecMount Mount(string destination, string type, string source, params string[] options) =>
        new() { Destination = destination, Type = type, Source = source, Options = options.Length == 0 ? null : options.ToList() };
}
