// SeccompPolicy: a seccomp profile in Docker's format -> config.json's linux.seccomp for one
// container (its capabilities, this machine's architecture and kernel).
//
// What Docker's format adds to OCI's linux.seccomp: `archMap` (for the native architecture, the
// architectures its processes may use: x86_64 also runs i386 and x32 code), and per syscall entry
// `includes` / `excludes` with `caps` (every listed capability in / any listed capability in the
// container's bounding set), `arches` (Go's names: amd64, arm64, s390x, ...), `minKernel`
// ("4.8": the running kernel's major.minor at least / below), plus `comment` and the old single
// `name`. An entry that does not apply is left out; what remains is plain OCI. So the default
// profile lets a container with --cap-add SYS_ADMIN call mount(2), and one without it only
// clone(2) without CLONE_NEW* flags - the filter follows the capabilities.
//
// The default profile (seccomp-default.json beside this file, embedded in the binary; see
// docs/security.md) has Docker's default profile's semantics: deny with EPERM, allow ~360 calls,
// socket() for all but a few address families, five personality() values, the
// capability-dependent entries. It is written grouped by topic; its facts were checked name by
// name against moby/profiles seccomp/default.json (2025).
//
// An OCI linux.seccomp object is a Docker profile without the extra fields, so
// `--security-opt seccomp=FILE` takes either.
//
// Follows: docker-run(1) --security-opt seccomp; Docker's "Seccomp security profiles"
// (docs.docker.com/engine/security/seccomp); moby profiles/seccomp (Seccomp, Syscall, Filter
// types and setupSeccomp's include/exclude rules); runtime-spec config-linux.md "Seccomp".
using System.Runtime.InteropServices;
using System.Text.Json;
using MiniRun.Spec;

namespace MiniRun.Security;

/// <summary>The facts of this machine a profile depends on: Go's name of the architecture, libseccomp's, the kernel's version.</summary>
public sealed record SeccompHost(string GoArch, string NativeArch, int KernelMajor, int KernelMinor)
{
    /// <summary>This machine: the process architecture and /proc/sys/kernel/osrelease.</summary>
    public static SeccompHost Current()
    {
        var (go, native) = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => ("amd64", "SCMP_ARCH_X86_64"),
            Architecture.Arm64 => ("arm64", "SCMP_ARCH_AARCH64"),
            Architecture.X86 => ("386", "SCMP_ARCH_X86"),
            Architecture.Arm or Architecture.Armv6 => ("arm", "SCMP_ARCH_ARM"),
            Architecture.S390x => ("s390x", "SCMP_ARCH_S390X"),
            Architecture.Ppc64le => ("ppc64le", "SCMP_ARCH_PPC64LE"),
            Architecture.RiscV64 => ("riscv64", "SCMP_ARCH_RISCV64"),
            Architecture.LoongArch64 => ("loong64", "SCMP_ARCH_LOONGARCH64"),
            var other => (other.ToString().ToLowerInvariant(), ""),
        };
        string release;
        try { release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(); }
        catch (IOException) { release = ""; }
        var (major, minor) = SeccompPolicy.KernelVersion(release) ?? (0, 0);
        return new SeccompHost(go, native, major, minor);
    }
}

public static class SeccompPolicy
{
    /// <summary>The default profile as shipped (Docker's format), read from the binary's resources.</summary>
    public static string DefaultProfileJson() => System.Text.Encoding.UTF8.GetString(DefaultProfileUtf8().Span);

    /// <summary>The default profile's UTF-8 bytes, as embedded (what `run` converts: no string in between).</summary>
    public static ReadOnlyMemory<byte> DefaultProfileUtf8()
    {
        using var stream = typeof(SeccompPolicy).Assembly.GetManifestResourceStream("MiniRun.Security.seccomp-default.json")
            ?? throw new InvalidOperationException("the default seccomp profile is missing from the binary's resources");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>
    /// linux.seccomp for a container whose bounding set is <paramref name="bounding"/>, from a
    /// profile in Docker's (or OCI's) format. Null when the profile has neither a default action
    /// nor syscalls (Docker: seccomp disabled). RunConfigException naming the field on a bad profile.
    /// </summary>
    public static SpecSeccomp? Convert(string profileJson, IReadOnlyCollection<string> bounding, SeccompHost host)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(profileJson, ParseOptions); }
        catch (JsonException e) { throw new RunConfigException($"seccomp profile: not JSON: {e.Message}"); }
        return Convert(doc, bounding, host);
    }

    /// <summary>
    /// The same from the profile's UTF-8 bytes (the embedded default, <see cref="DefaultProfileUtf8"/>):
    /// no decoding to a string and back.
    /// </summary>
    public static SpecSeccomp? Convert(ReadOnlyMemory<byte> profileUtf8, IReadOnlyCollection<string> bounding, SeccompHost host)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(profileUtf8, ParseOptions); }
        catch (JsonException e) { throw new RunConfigException($"seccomp profile: not JSON: {e.Message}"); }
        return Convert(doc, bounding, host);
    }

    private static readonly JsonDocumentOptions ParseOptions = new() { CommentHandling = JsonCommentHandling.Skip };

    private static SpecSeccomp? Convert(JsonDocument doc, IReadOnlyCollection<string> bounding, SeccompHost host)
    {
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new RunConfigException("seccomp profile: not a JSON object");
            string defaultAction = Str(root, "defaultAction"u8) ?? "";
            var calls = Array(root, "syscalls"u8);
            if (defaultAction.Length == 0 && calls.Count == 0) return null;
            var architectures = Strings(root, "architectures"u8);
            var archMap = Array(root, "archMap"u8);
            if (architectures.Count > 0 && archMap.Count > 0)
                throw new RunConfigException("seccomp profile: both 'architectures' and 'archMap' are specified, use either 'architectures' or 'archMap'");
            foreach (var entry in archMap)
                if (Str(entry, "architecture"u8) == host.NativeArch)
                {
                    architectures.Add(host.NativeArch);
                    architectures.AddRange(Strings(entry, "subArchitectures"u8));
                }

            var spec = new SpecSeccomp
            {
                DefaultAction = defaultAction,
                DefaultErrnoRet = UInt(root, "defaultErrnoRet"u8, "defaultErrnoRet"),
                Architectures = architectures.Count > 0 ? architectures : null,
                Flags = Strings(root, "flags"u8) is { Count: > 0 } flags ? flags : null,
                ListenerPath = Str(root, "listenerPath"u8),
                Syscalls = new List<SpecSyscall>(),
            };
            for (int i = 0; i < calls.Count; i++)
            {
                var call = calls[i];
                string field = $"seccomp profile: syscalls[{i}]";
                var names = Strings(call, "names"u8);
                if (Str(call, "name"u8) is { Length: > 0 } single)
                {
                    if (names.Count > 0) throw new RunConfigException($"{field}: both 'name' and 'names' are specified, use either 'name' or 'names'");
                    names.Add(single);
                }
                if (!Applies(call, bounding, host, field)) continue;
                var args = new List<SpecSeccompArg>();
                var argList = Array(call, "args"u8);
                for (int j = 0; j < argList.Count; j++)
                {
                    var a = argList[j];
                    args.Add(new SpecSeccompArg
                    {
                        Index = (uint)(UInt(a, "index"u8, $"{field}.args[{j}].index") ?? 0),
                        Value = ULong(a, "value"u8, $"{field}.args[{j}].value"),
                        ValueTwo = a.TryGetProperty("valueTwo"u8, out _) ? ULong(a, "valueTwo"u8, $"{field}.args[{j}].valueTwo") : null,
                        Op = Str(a, "op"u8) ?? "",
                    });
                }
                spec.Syscalls.Add(new SpecSyscall
                {
                    Names = names,
                    Action = Str(call, "action"u8) ?? "",
                    ErrnoRet = UInt(call, "errnoRet"u8, $"{field}.errnoRet"),
                    Args = args.Count > 0 ? args : null,
                });
            }
            return spec;
        }
    }

    /// <summary>Docker's includes / excludes: arches (Go names), caps (against the bounding set), minKernel.</summary>
    private static bool Applies(JsonElement call, IReadOnlyCollection<string> bounding, SeccompHost host, string field)
    {
        if (call.TryGetProperty("excludes"u8, out var ex) && ex.ValueKind == JsonValueKind.Object)
        {
            if (Strings(ex, "arches"u8).Contains(host.GoArch)) return false;
            if (Strings(ex, "caps"u8).Any(bounding.Contains)) return false;
            if (Str(ex, "minKernel"u8) is { Length: > 0 } min && AtLeast(host, min, field + ".excludes.minKernel")) return false;
        }
        if (call.TryGetProperty("includes"u8, out var inc) && inc.ValueKind == JsonValueKind.Object)
        {
            var arches = Strings(inc, "arches"u8);
            if (arches.Count > 0 && !arches.Contains(host.GoArch)) return false;
            if (!Strings(inc, "caps"u8).All(bounding.Contains)) return false;
            if (Str(inc, "minKernel"u8) is { Length: > 0 } min && !AtLeast(host, min, field + ".includes.minKernel")) return false;
        }
        return true;
    }

    private static bool AtLeast(SeccompHost host, string version, string field)
    {
        var (major, minor) = KernelVersion(version) ?? throw new RunConfigException($"{field}: {GoQuote.Quote(version)} is not a kernel version (MAJOR.MINOR)");
        return host.KernelMajor > major || (host.KernelMajor == major && host.KernelMinor >= minor);
    }

    /// <summary>"6.18.0-amd64" or "4.8" -> (6, 18) / (4, 8); null when it does not start with MAJOR.MINOR.</summary>
    public static (int Major, int Minor)? KernelVersion(string text)
    {
        var parts = text.Split('.', 3);
        if (parts.Length < 2 || !int.TryParse(parts[0], out int major)) return null;
        string minorDigits = new(parts[1].TakeWhile(char.IsAsciiDigit).ToArray());
        return int.TryParse(minorDigits, out int minor) ? (major, minor) : null;
    }

    private static string? Str(JsonElement e, ReadOnlySpan<byte> name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static List<JsonElement> Array(JsonElement e, ReadOnlySpan<byte> name)
    {
        var list = new List<JsonElement>();
        if (e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array)
            foreach (var x in v.EnumerateArray()) list.Add(x);
        return list;
    }

    /// <summary>The strings of array <paramref name="name"/> (other values skipped); loops, no LINQ: ~470 names per start.</summary>
    private static List<string> Strings(JsonElement e, ReadOnlySpan<byte> name)
    {
        var list = new List<string>();
        if (e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array)
            foreach (var x in v.EnumerateArray())
                if (x.ValueKind == JsonValueKind.String) list.Add(x.GetString()!);
        return list;
    }

    private static uint? UInt(JsonElement e, ReadOnlySpan<byte> name, string field)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number && v.TryGetUInt32(out uint n) ? n
            : throw new RunConfigException($"{field}: not a number from 0 to {uint.MaxValue}");
    }

    private static ulong ULong(JsonElement e, ReadOnlySpan<byte> name, string field)
    {
        if (!e.TryGetProperty(name, out var v)) return 0;
        return v.ValueKind == JsonValueKind.Number && v.TryGetUInt64(out ulong n) ? n
            : throw new RunConfigException($"{field}: not a number from 0 to {ulong.MaxValue}");
    }
}
