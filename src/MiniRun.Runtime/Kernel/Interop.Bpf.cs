// Interop.Bpf: the bpf(2) system call, for the one use MiniRun has of it: a cgroup device filter
// (a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the container's cgroup as BPF_CGROUP_DEVICE).
//
// Why: cgroup v2 has no devices.allow file; the kernel instead runs every eBPF program attached
// to the cgroup (and to its ancestors) on each open or mknod of a device node, and refuses with
// EPERM when one of them returns 0 (Documentation/admin-guide/cgroup-v2.rst, "Device
// controller"). glibc has no bpf() wrapper, so it goes through syscall(2) with x86_64's number.
// Each command takes its own part of union bpf_attr; the structs below are those parts, laid
// out as <linux/bpf.h> has them (unused trailing fields are zero, which the kernel requires).
// The license: the kernel demands a GPL-compatible license only from programs that call
// GPL-only helper functions; a device filter calls no helper at all (it only compares the
// context's three numbers), so any string is accepted (runc passes "Apache"; a test loads one
// with "Apache-2.0"). MiniRun passes "GPL" (license_is_gpl_compatible in the kernel decides
// only which helpers a program may call).
// A verifier rejection is explained in the log buffer: the error carries its last lines.
//
// Follows: bpf(2) (BPF_PROG_LOAD, BPF_PROG_ATTACH, BPF_PROG_DETACH, BPF_PROG_QUERY,
// BPF_PROG_GET_FD_BY_ID), <linux/bpf.h> (union bpf_attr, bpf_prog_type, bpf_attach_type,
// BPF_F_ALLOW_MULTI), syscall(2), arch/x86/entry/syscalls/syscall_64.tbl (321 bpf).
using System.Runtime.InteropServices;
using System.Text;

namespace MiniRun.Kernel;

internal static unsafe partial class Bpf
{
    public const long SYS_bpf_x86_64 = 321;
    public const int BPF_PROG_LOAD = 5, BPF_PROG_ATTACH = 8, BPF_PROG_DETACH = 9, BPF_PROG_GET_FD_BY_ID = 13, BPF_PROG_QUERY = 16;
    public const uint BPF_PROG_TYPE_CGROUP_DEVICE = 15;
    public const uint BPF_CGROUP_DEVICE = 6;
    public const uint BPF_F_ALLOW_MULTI = 2;
    public const string License = "GPL";

    /// <summary>union bpf_attr for BPF_PROG_LOAD, up to expected_attach_type.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct prog_load_attr
    {
        public uint prog_type;
        public uint insn_cnt;
        public ulong insns;        // const struct bpf_insn *
        public ulong license;      // const char *
        public uint log_level;
        public uint log_size;
        public ulong log_buf;      // char *
        public uint kern_version;
        public uint prog_flags;
        public fixed byte prog_name[16];
        public uint prog_ifindex;
        public uint expected_attach_type;
    }

    /// <summary>union bpf_attr for BPF_PROG_ATTACH and BPF_PROG_DETACH.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct prog_attach_attr
    {
        public uint target_fd;
        public uint attach_bpf_fd;
        public uint attach_type;
        public uint attach_flags;
        public uint replace_bpf_fd;
    }

    /// <summary>union bpf_attr for BPF_PROG_QUERY (the fields every kernel since 4.15 has).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct prog_query_attr
    {
        public uint target_fd;
        public uint attach_type;
        public uint query_flags;
        public uint attach_flags;
        public ulong prog_ids;     // __u32 * (out)
        public uint prog_cnt;      // in: room in prog_ids; out: how many are attached
        public uint pad;
    }

    /// <summary>union bpf_attr for BPF_PROG_GET_FD_BY_ID.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct get_fd_by_id_attr
    {
        public uint prog_id;
        public uint next_id;
        public uint open_flags;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, long cmd, void* attr, long size);

    private static int Call(int cmd, void* attr, int size)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            throw new PlatformNotSupportedException("bpf(2) is declared for Linux x86_64 only");
        return (int)syscall(SYS_bpf_x86_64, cmd, attr, size);
    }

    /// <summary>
    /// BPF_PROG_LOAD of a cgroup device program (8-byte instructions as <see cref="BpfInsn.Encode"/>
    /// makes them): the program's fd. A rejection throws KernelException
    /// "bpf(BPF_PROG_LOAD, cgroup device filter): Permission denied (EACCES): verifier: ...".
    /// </summary>
    public static int LoadDeviceProgram(ReadOnlySpan<ulong> insns, string name, string license = License)
    {
        const int logSize = 64 * 1024;
        byte[] log = new byte[logSize];
        byte[] licenseText = Encoding.ASCII.GetBytes(license + "\0");
        var attr = new prog_load_attr
        {
            prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
            insn_cnt = (uint)insns.Length,
            log_level = 1,
            log_size = logSize,
            expected_attach_type = BPF_CGROUP_DEVICE,
        };
        var nameBytes = Encoding.ASCII.GetBytes(name);
        for (int i = 0; i < nameBytes.Length && i < 15; i++) attr.prog_name[i] = nameBytes[i];
        int fd, errno;
        fixed (ulong* code = insns)
        fixed (byte* lic = licenseText)
        fixed (byte* logBuf = log)
        {
            attr.insns = (ulong)code;
            attr.license = (ulong)lic;
            // First without a log: the verifier works less, and a good program needs none. The
            // verifier answers EAGAIN when a signal reaches the loading thread meanwhile (.NET's GC
            // suspends threads with signals): load again, as libbpf does (5 attempts).
            attr.log_level = 0; attr.log_size = 0; attr.log_buf = 0;
            int attempts = 5;
            do fd = Call(BPF_PROG_LOAD, &attr, sizeof(prog_load_attr));
            while (fd < 0 && Marshal.GetLastPInvokeError() == Errno.EAGAIN && --attempts > 0);
            if (fd >= 0) return fd;
            errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EAGAIN)
            {
                // Refused: load once more with the verifier's log, for its reason in the error.
                attr.log_level = 1; attr.log_size = logSize; attr.log_buf = (ulong)logBuf;
                fd = Call(BPF_PROG_LOAD, &attr, sizeof(prog_load_attr));
                if (fd >= 0) return fd;   // it went through this time after all
            }
        }
        throw new KernelException($"bpf(BPF_PROG_LOAD, cgroup device filter){VerifierSays(log)}", errno);
    }

    /// <summary>": verifier: LAST LINES" when the kernel wrote a log, else "" (the log ends with its reason).</summary>
    internal static string VerifierSays(byte[] log)
    {
        int end = Array.IndexOf(log, (byte)0);
        var text = Encoding.ASCII.GetString(log, 0, end < 0 ? log.Length : end).Trim();
        if (text.Length == 0) return "";
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return " (verifier: " + string.Join("; ", lines.TakeLast(2)) + ")";
    }

    /// <summary>BPF_PROG_ATTACH with BPF_F_ALLOW_MULTI: the program runs for the cgroup and all below it.</summary>
    public static void Attach(int cgroupFd, int progFd, string cgroupPath)
    {
        var attr = new prog_attach_attr
        {
            target_fd = (uint)cgroupFd, attach_bpf_fd = (uint)progFd,
            attach_type = BPF_CGROUP_DEVICE, attach_flags = BPF_F_ALLOW_MULTI,
        };
        if (Call(BPF_PROG_ATTACH, &attr, sizeof(prog_attach_attr)) < 0)
            throw new KernelException($"bpf(BPF_PROG_ATTACH, {cgroupPath}, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI)", Marshal.GetLastPInvokeError());
    }

    /// <summary>BPF_PROG_DETACH of one program from the cgroup.</summary>
    public static void Detach(int cgroupFd, int progFd, string cgroupPath)
    {
        var attr = new prog_attach_attr { target_fd = (uint)cgroupFd, attach_bpf_fd = (uint)progFd, attach_type = BPF_CGROUP_DEVICE };
        if (Call(BPF_PROG_DETACH, &attr, sizeof(prog_attach_attr)) < 0)
            throw new KernelException($"bpf(BPF_PROG_DETACH, {cgroupPath}, BPF_CGROUP_DEVICE)", Marshal.GetLastPInvokeError());
    }

    /// <summary>BPF_PROG_QUERY: the ids of the device programs attached to this cgroup itself (not its ancestors).</summary>
    public static uint[] Query(int cgroupFd, string cgroupPath)
    {
        var ids = new uint[64];
        fixed (uint* p = ids)
        {
            var attr = new prog_query_attr { target_fd = (uint)cgroupFd, attach_type = BPF_CGROUP_DEVICE, prog_ids = (ulong)p, prog_cnt = (uint)ids.Length };
            if (Call(BPF_PROG_QUERY, &attr, sizeof(prog_query_attr)) < 0)
                throw new KernelException($"bpf(BPF_PROG_QUERY, {cgroupPath}, BPF_CGROUP_DEVICE)", Marshal.GetLastPInvokeError());
            return ids[..(int)Math.Min(attr.prog_cnt, (uint)ids.Length)];
        }
    }

    /// <summary>BPF_PROG_GET_FD_BY_ID: an fd for an attached program (to detach it).</summary>
    public static int ProgramFd(uint id)
    {
        var attr = new get_fd_by_id_attr { prog_id = id };
        int fd = Call(BPF_PROG_GET_FD_BY_ID, &attr, sizeof(get_fd_by_id_attr));
        if (fd < 0) throw new KernelException($"bpf(BPF_PROG_GET_FD_BY_ID, {id})", Marshal.GetLastPInvokeError());
        return fd;
    }
}

/// <summary>
/// One eBPF instruction (struct bpf_insn): opcode, destination and source registers, a signed
/// 16-bit jump offset and a signed 32-bit immediate. Only the opcodes the device filter uses are named.
/// </summary>
public readonly record struct BpfInsn(byte Code, byte Dst, byte Src, short Off, int Imm)
{
    // class | operation | source, from <linux/bpf.h> and <linux/bpf_common.h>
    public const byte LdxMemW = 0x61;     // BPF_LDX | BPF_MEM | BPF_W:    dst = *(u32 *)(src + off)
    public const byte Mov64Imm = 0xb7;    // BPF_ALU64 | BPF_MOV | BPF_K:  dst = imm
    public const byte Mov64Reg = 0xbf;    // BPF_ALU64 | BPF_MOV | BPF_X:  dst = src
    public const byte And64Imm = 0x57;    // BPF_ALU64 | BPF_AND | BPF_K:  dst &= imm
    public const byte Rsh64Imm = 0x77;    // BPF_ALU64 | BPF_RSH | BPF_K:  dst >>= imm
    public const byte Ja = 0x05;          // BPF_JMP | BPF_JA:             pc += off
    public const byte JeqImm = 0x15;      // BPF_JMP | BPF_JEQ | BPF_K:    if dst == imm: pc += off
    public const byte JneImm = 0x55;      // BPF_JMP | BPF_JNE | BPF_K:    if dst != imm: pc += off
    public const byte JsetImm = 0x45;     // BPF_JMP | BPF_JSET | BPF_K:   if dst & imm: pc += off
    public const byte Exit = 0x95;        // BPF_JMP | BPF_EXIT:           return r0

    /// <summary>The 8 bytes as the kernel reads them (little-endian): code, regs (src high nibble), off, imm.</summary>
    public ulong Encode() =>
        Code | (ulong)(byte)((Src << 4) | (Dst & 0xf)) << 8 | (ulong)(ushort)Off << 16 | (ulong)(uint)Imm << 32;

    public static BpfInsn Decode(ulong raw) =>
        new((byte)raw, (byte)((raw >> 8) & 0xf), (byte)((raw >> 12) & 0xf), (short)(ushort)(raw >> 16), (int)(uint)(raw >> 32));

    /// <summary>The instruction in the kernel verifier's notation ("r2 = *(u32 *)(r1 +0)", "if r4 != 0x1 goto pc+3").</summary>
    public override string ToString() => Code switch
    {
        LdxMemW => $"r{Dst} = *(u32 *)(r{Src} +{Off})",
        Mov64Imm => $"r{Dst} = {Imm}",
        Mov64Reg => $"r{Dst} = r{Src}",
        And64Imm => $"r{Dst} &= 0x{Imm:x}",
        Rsh64Imm => $"r{Dst} >>= {Imm}",
        Ja => $"goto pc{Off:+0;-0}",
        JeqImm => $"if r{Dst} == 0x{Imm:x} goto pc{Off:+0;-0}",
        JneImm => $"if r{Dst} != 0x{Imm:x} goto pc{Off:+0;-0}",
        JsetImm => $"if r{Dst} & 0x{Imm:x} goto pc{Off:+0;-0}",
        Exit => "exit",
        _ => $"(code 0x{Code:x2} dst r{Dst} src r{Src} off {Off} imm {Imm})",
    };
}
