// ConfinementInspect: the "Confinement" part of `inspect`'s MiniRun section - what the container's
// PID 1 may do, next to what the host's PID 1 may do: capabilities, seccomp mode, no_new_privs
// and the AppArmor label.
//
// Why: HostConfig shows what was asked (CapAdd, CapDrop, Privileged, SecurityOpt); this shows what
// the kernel holds. "Asked" comes from config.json (the sets the engine wrote); "Live" and "Host"
// come from /proc/PID/status, the kernel's own account (CapEff, CapBnd, Seccomp, NoNewPrivs), so a
// student sees at a glance that the container's root has 14 capabilities and a seccomp filter
// while the host's init has every capability and none.
//   "Confinement": {"Asked": {"Effective": [...], "Bounding": [...], "Seccomp": "filter",
//                             "NoNewPrivileges": false, "AppArmor": ""},
//                   "Live": {"CapEff": "00000000a80425fb", "Effective": [...], "CapBnd": ...,
//                            "Seccomp": "filter", "NoNewPrivs": false, "AppArmor": "..."},  (running only)
//                   "Host": {same fields, of the host's PID 1}}
//
// Follows: proc(5) /proc/PID/status (CapEff, CapBnd, Seccomp: 0 disabled, 1 strict, 2 filter;
// NoNewPrivs), capabilities(7), seccomp(2), proc(5) /proc/PID/attr/current.
using System.Globalization;
using System.Text.Json;
using MiniRun.Spec;

namespace MiniRun.Security;

public static class ConfinementInspect
{
    /// <summary>Writes "Confinement"; <paramref name="pid"/> 0 when the container does not run.</summary>
    public static void Write(Utf8JsonWriter w, RuntimeSpec? spec, int pid, string procRoot)
    {
        w.WriteStartObject("Confinement");
        w.WriteStartObject("Asked");
        var caps = spec?.Process.Capabilities;
        Names(w, "Effective", caps?.Effective ?? []);
        Names(w, "Bounding", caps?.Bounding ?? []);
        w.WriteString("Seccomp", spec?.Linux.Seccomp is null ? "disabled" : "filter");
        w.WriteBoolean("NoNewPrivileges", spec?.Process.NoNewPrivileges == true);
        w.WriteString("AppArmor", spec?.Process.ApparmorProfile ?? "");
        w.WriteEndObject();
        if (pid > 0) Live(w, "Live", procRoot, pid.ToString(CultureInfo.InvariantCulture));
        Live(w, "Host", procRoot, "1");
        w.WriteEndObject();
    }

    /// <summary>The kernel's account of one process, from /proc/PID/status and attr/current; nothing when unreadable.</summary>
    private static void Live(Utf8JsonWriter w, string name, string procRoot, string pid)
    {
        var status = Status($"{procRoot}/{pid}/status");
        if (status is null) return;
        w.WriteStartObject(name);
        foreach (var field in new[] { "CapEff", "CapBnd" })
        {
            string hex = status.GetValueOrDefault(field, "");
            w.WriteString(field, hex);
            if (ulong.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong set))
                Names(w, field == "CapEff" ? "Effective" : "Bounding", Decode(set));
        }
        w.WriteString("Seccomp", status.GetValueOrDefault("Seccomp") switch { "0" => "disabled", "1" => "strict", "2" => "filter", var v => v ?? "" });
        w.WriteBoolean("NoNewPrivs", status.GetValueOrDefault("NoNewPrivs") == "1");
        string label;
        try { label = File.ReadAllText($"{procRoot}/{pid}/attr/current").TrimEnd('\0', '\n'); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { label = ""; }
        w.WriteString("AppArmor", label);
        w.WriteEndObject();
    }

    /// <summary>The capability names of a mask, as /proc shows it in hex ("a80425fb" -> CAP_CHOWN, CAP_DAC_OVERRIDE, ...).</summary>
    public static IEnumerable<string> Decode(ulong set)
    {
        for (int cap = 0; cap < 64; cap++)
            if ((set & (1UL << cap)) != 0) yield return MiniRun.Kernel.CapabilityNames.Name(cap);
    }

    /// <summary>"Key:\tvalue" lines of a status file; null when it cannot be read (the process is gone).</summary>
    public static Dictionary<string, string>? Status(string path)
    {
        try
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in File.ReadLines(path))
            {
                int colon = line.IndexOf(':');
                if (colon > 0) fields[line[..colon]] = line[(colon + 1)..].Trim();
            }
            return fields;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static void Names(Utf8JsonWriter w, string name, IEnumerable<string> names)
    {
        w.WriteStartArray(name);
        foreach (var n in names) w.WriteStringValue(n);
        w.WriteEndArray();
    }
}
