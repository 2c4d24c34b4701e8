// Interop.Seccomp: libseccomp, the library that turns seccomp rules into the BPF program the kernel
// runs on every system call (runc, crun and podman use it too); its exports are read back through
// a memfd (Libc.memfd_create: the readable PFC for --trace, the raw BPF program for exec's native stage).
//
// Why libseccomp rather than writing BPF by hand: the program must check the architecture first,
// map each name to that architecture's number, handle 64-bit argument comparisons in 32-bit BPF
// words and multiplexed calls (socketcall, ipc on x86); libseccomp does exactly this and is what
// every other runtime loads, so a profile behaves the same under MiniRun. See docs/dependencies.md.
//
// Loaded lazily: a plain dynamic import of libseccomp.so.2, resolved the first time a seccomp
// function is called (no DirectPInvoke in src/MiniRun/MiniRun.csproj), so MiniRun runs where the
// library is absent until a spec asks for seccomp. It must be loaded before pivot_root: after it,
// dlopen would search the container's /usr/lib. Every function returns -errno on failure (not
// errno), except seccomp_init (NULL) and seccomp_syscall_resolve_name (__NR_SCMP_ERROR = -1).
//
// Follows: seccomp_init(3), seccomp_arch_add(3), seccomp_syscall_resolve_name(3),
// seccomp_arch_resolve_name(3), seccomp_rule_add(3), seccomp_attr_set(3), seccomp_load(3), seccomp_export_pfc(3), seccomp_export_bpf(3),
// seccomp_release(3), seccomp_version(3) (libseccomp 2.5); seccomp(2) SECCOMP_SET_MODE_FILTER
// (a cached program is loaded without libseccomp: Kernel/SeccompFilterCache.cs).
using System.Runtime.InteropServices;

namespace MiniRun.Kernel;

internal static unsafe partial class Seccomp
{
    private const string Library = "libseccomp.so.2";

    /// <summary>struct scmp_arg_cmp: argument number, SCMP_CMP_* operator, two 64-bit operands.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct scmp_arg_cmp
    {
        public uint arg;
        public int op;
        public ulong datum_a;
        public ulong datum_b;
    }

    /// <summary>struct scmp_version.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct scmp_version
    {
        public uint major, minor, micro;
    }

    public const int NR_SCMP_ERROR = -1;
    /// <summary>SCMP_FLTATR_API_SYSRAWRC: return the kernel's errno instead of ECANCELED (libseccomp 2.5).</summary>
    public const int SCMP_FLTATR_API_SYSRAWRC = 9;
    /// <summary>SCMP_FLTATR_CTL_OPTIMIZE: the program's layout; 2 = a binary tree sorted by system call number (libseccomp 2.5).</summary>
    public const int SCMP_FLTATR_CTL_OPTIMIZE = 8;

    [LibraryImport(Library)]
    public static partial nint seccomp_init(uint defaultAction);

    [LibraryImport(Library)]
    public static partial void seccomp_release(nint ctx);

    [LibraryImport(Library)]
    public static partial uint seccomp_arch_native();

    [LibraryImport(Library)]
    public static partial int seccomp_arch_add(nint ctx, uint archToken);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int seccomp_syscall_resolve_name(string name);

    /// <summary>"x86_64" -> SCMP_ARCH_X86_64's token, 0 when unknown (the tests check SeccompProfile's table with it).</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint seccomp_arch_resolve_name(string name);

    [LibraryImport(Library)]
    public static partial int seccomp_rule_add_array(nint ctx, uint action, int syscall, uint argCount, scmp_arg_cmp* args);

    [LibraryImport(Library)]
    public static partial int seccomp_attr_set(nint ctx, int attribute, uint value);

    [LibraryImport(Library)]
    public static partial int seccomp_load(nint ctx);

    [LibraryImport(Library)]
    public static partial int seccomp_export_pfc(nint ctx, int fd);

    /// <summary>The filter as the raw BPF program (struct sock_filter[], 8 bytes each) the kernel takes.</summary>
    [LibraryImport(Library)]
    public static partial int seccomp_export_bpf(nint ctx, int fd);

    [LibraryImport(Library)]
    public static partial scmp_version* seccomp_version();

    /// <summary>struct sock_fprog: the program seccomp(2) takes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct sock_fprog
    {
        public ushort len;
        public byte* filter;
    }

    /// <summary>seccomp(2)'s number on x86_64 and aarch64 (glibc has no wrapper); SECCOMP_SET_MODE_FILTER.</summary>
    public const long SYS_seccomp_x86_64 = 317, SYS_seccomp_aarch64 = 277;
    public const uint SECCOMP_SET_MODE_FILTER = 1;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall_seccomp(long number, uint operation, uint flags, sock_fprog* program);

    /// <summary>seccomp(SECCOMP_SET_MODE_FILTER, flags, program): -1 with errno on failure.</summary>
    public static int LoadFilter(uint flags, sock_fprog* program)
    {
        long nr = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => SYS_seccomp_x86_64,
            Architecture.Arm64 => SYS_seccomp_aarch64,
            var a => throw new PlatformNotSupportedException($"seccomp(2) is declared for x86_64 and aarch64 only, not {a}"),
        };
        return (int)syscall_seccomp(nr, SECCOMP_SET_MODE_FILTER, flags, program);
    }
}
