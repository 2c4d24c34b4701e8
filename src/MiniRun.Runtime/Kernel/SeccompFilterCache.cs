// SeccompFilterCache: compiled seccomp filters (the BPF programs libseccomp builds from
// linux.seccomp), kept on disk so that a container start with a profile already seen loads the
// program without calling libseccomp at all.
//
// Why: libseccomp builds a filter from scratch every time - for Docker's default profile ~400
// rules, checked, sorted into a decision tree for three architectures - which costs milliseconds
// on every start and every exec, always with the same result. The result depends only on the
// checked profile (Spec/SeccompProfile.cs: actions, architectures, attributes, rules), the
// machine's architecture and kernel, and the libseccomp library that built it; all of them make
// the key, with a version that changes when MiniRun builds the program differently (v2: libseccomp's
// binary-tree layout). docs/security.md "The seccomp filter cache".
//
// Files: DIR/<sha256 of the key>.bpf, DIR 0700 and each file 0600, owned by root (DIR is under
// the runtime's state root: STATE/seccomp-cache). A file is
//   "MRSECBPF" (8 bytes) | instruction count (4 bytes, little-endian) |
//   SHA-256 of the program (32 bytes) | the program (count x 8-byte struct sock_filter)
// and is written to a temporary name, flushed to disk, then renamed over the final name, so a
// reader sees a whole file or none. A file that is short, too long, of another format, with a
// count outside 1..4096 (BPF_MAXINSNS) or whose program does not match its hash is ignored and
// compiled again (and replaced); failing to write the cache is never an error, only slower.
//
// The hashes are SHA-256 computed by Kernel/Sha256.cs (the framework's would load OpenSSL into
// init: slower than the compile the cache saves).
//
// Follows: seccomp(2) (struct sock_fprog, BPF_MAXINSNS); rename(2) (atomic replacement);
// seccomp_export_bpf(3).
using System.Runtime.InteropServices;
using System.Text;
using MiniRun.Spec;

namespace MiniRun.Kernel;

public sealed class SeccompFilterCache
{
    private static readonly byte[] Magic = "MRSECBPF"u8.ToArray();
    private const int HeaderLength = 8 + 4 + 32;
    /// <summary>BPF_MAXINSNS: the longest program the kernel accepts.</summary>
    public const int MaxInstructions = 4096;

    public string Directory { get; }

    public SeccompFilterCache(string directory) => Directory = directory;

    /// <summary>
    /// The cache key: the checked profile, this machine (architecture, kernel release) and the
    /// libseccomp library that would build it (its file's size and time), as a SHA-256 in hex.
    /// </summary>
    public static string Key(SeccompProfile profile, string? machineFacts = null)
    {
        var text = new StringBuilder("minirun seccomp filter v2\n");   // v2: binary-tree layout (LinuxKernel.Seccomp.cs)
        text.Append(machineFacts ?? MachineFacts()).Append('\n');
        text.Append($"default {profile.DefaultAction:x8}\n");
        foreach (var (name, token) in profile.ExtraArchitectures) text.Append($"arch {name} {token:x8}\n");
        foreach (var a in profile.Attributes) text.Append($"attr {a.Attribute} {a.Value}\n");
        foreach (var r in profile.Rules)
        {
            text.Append($"rule {r.Syscall} {r.Action:x8}");
            foreach (var c in r.Conditions) text.Append($" {c.Index}:{c.Op}:{c.Value:x}:{c.ValueTwo:x}");
            text.Append('\n');
        }
        return Convert.ToHexStringLower(Sha256.Hash(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>This machine as far as the filter depends on it: "x64 Linux 6.18.0-... libseccomp /usr/lib/...:SIZE:MTIME".</summary>
    /// <remarks>
    /// The kernel release is read from /proc/sys/kernel/osrelease (uname -r): RuntimeInformation.OSDescription
    /// is the distribution's name from /etc/os-release on Linux, which does not change with the kernel.
    /// </remarks>
    public static string MachineFacts() =>
        $"{RuntimeInformation.ProcessArchitecture} Linux {KernelRelease()} libseccomp {LibseccompIdentity()}";

    private static string KernelRelease()
    {
        try { return File.ReadAllText("/proc/sys/kernel/osrelease").Trim(); }
        catch (IOException) { return "unknown"; }
    }

    /// <summary>Where libseccomp.so.2 is on Debian, Ubuntu, Fedora and Alpine-like layouts; its final target's size and time.</summary>
    private static string LibseccompIdentity()
    {
        string multiarch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x86_64-linux-gnu", Architecture.Arm64 => "aarch64-linux-gnu", _ => "",
        };
        foreach (var dir in new[] { $"/usr/lib/{multiarch}", $"/lib/{multiarch}", "/usr/lib64", "/lib64", "/usr/lib", "/lib", "/usr/local/lib" })
        {
            var file = new FileInfo(Path.Combine(dir, "libseccomp.so.2"));
            if (!file.Exists) continue;
            var target = file.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? file;
            if (!target.Exists) continue;
            return $"{target.FullName}:{target.Length}:{target.LastWriteTimeUtc.Ticks}";
        }
        return "unknown";
    }

    public string PathOf(string key) => Path.Combine(Directory, key + ".bpf");

    /// <summary>The cached program for <paramref name="key"/>, or null (absent or not valid: <paramref name="why"/> says which).</summary>
    public byte[]? TryRead(string key, out string why)
    {
        byte[] file;
        try { file = File.ReadAllBytes(PathOf(key)); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { why = "not cached yet"; return null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { why = $"unreadable ({e.Message})"; return null; }
        if (file.Length < HeaderLength || !file.AsSpan(0, 8).SequenceEqual(Magic)) { why = "not a cache file"; return null; }
        uint count = BitConverter.ToUInt32(file, 8);
        if (count is 0 or > MaxInstructions || file.Length != HeaderLength + (long)count * 8)
        {
            why = $"{file.Length} bytes do not hold the {count} instructions the header announces";
            return null;
        }
        var program = file.AsSpan(HeaderLength).ToArray();
        if (!Sha256.Hash(program).AsSpan().SequenceEqual(file.AsSpan(12, 32))) { why = "the program does not match its hash"; return null; }
        why = "";
        return program;
    }

    /// <summary>Stores a program under <paramref name="key"/> (0600, atomically); null on success, else why it was not stored.</summary>
    public string? Write(string key, byte[] program)
    {
        if (program.Length == 0 || program.Length % 8 != 0 || program.Length / 8 > MaxInstructions)
            return $"{program.Length} bytes are not a BPF program the kernel would take";
        string tmp = PathOf(key) + $".tmp.{Environment.ProcessId}.{Guid.NewGuid():N}";
        try
        {
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var header = new byte[HeaderLength];
            Magic.CopyTo(header, 0);
            BitConverter.TryWriteBytes(header.AsSpan(8), (uint)(program.Length / 8));
            Sha256.Hash(program).CopyTo(header, 12);
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            using (var f = new FileStream(tmp, options))
            {
                f.Write(header);
                f.Write(program);
                f.Flush(flushToDisk: true);
            }
            File.Move(tmp, PathOf(key), overwrite: true);   // rename(2): readers see the old file or the new one
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(tmp); } catch (Exception) { }
            return e.Message;
        }
    }
}
