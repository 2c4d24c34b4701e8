// Interop.Capabilities: capget/capset and the prctl(2) options that shape a process's
// capability sets (bounding, ambient, keep-capabilities).
//
// Why: root's power is split into ~41 capabilities (capabilities(7)); a container keeps only
// the ones its config.json lists. Tmds.LibC has neither capset nor prctl's capability options,
// so they are declared here (prctl itself is in Interop.Process.cs).
// capset's version 3 ABI takes one header and TWO data structs: struct 0 holds capabilities
// 0-31, struct 1 capabilities 32-63 (bit N of the 64-bit set = capability N).
//
// Follows: capget(2) / capset(2) (_LINUX_CAPABILITY_VERSION_3), prctl(2) (PR_SET_KEEPCAPS,
// PR_CAPBSET_DROP, PR_CAP_AMBIENT), <linux/capability.h>.
using System.Runtime.InteropServices;

namespace MiniRun.Kernel;

internal static unsafe partial class Libc
{
    public const uint _LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    public const int PR_SET_KEEPCAPS = 8, PR_CAPBSET_READ = 23, PR_CAPBSET_DROP = 24, PR_CAP_AMBIENT = 47;
    public const int PR_CAP_AMBIENT_RAISE = 2, PR_CAP_AMBIENT_CLEAR_ALL = 4;

    [StructLayout(LayoutKind.Sequential)]
    public struct cap_user_header
    {
        public uint version;
        public int pid;   // 0: this thread
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct cap_user_data
    {
        public uint effective;
        public uint permitted;
        public uint inheritable;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int capget(cap_user_header* header, cap_user_data* data);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int capset(cap_user_header* header, cap_user_data* data);
}
