// BpfInterpreter: runs the handful of eBPF instructions DeviceFilter emits on a struct
// bpf_cgroup_dev_ctx, so the tests can ask the compiled program for its verdict without a kernel.
// It is strict where the kernel's verifier is: an unknown opcode, a backward or out-of-range
// jump, a read of a register never written, an exit without r0, and code no path reaches are
// errors (the verifier refuses such programs before they run).
//
// Follows: Documentation/bpf/standardization/instruction-set.rst (encoding, ALU64 and JMP
// semantics), include/uapi/linux/bpf.h (struct bpf_cgroup_dev_ctx).
using MiniRun.Kernel;

namespace MiniRun.Tests.Cgroups;

public static class BpfInterpreter
{
    /// <summary>The program's return value for ctx { access_type = type | access << 16, major, minor }.</summary>
    public static ulong Run(IReadOnlyList<BpfInsn> program, uint type, uint access, uint major, uint minor)
    {
        var ctx = new uint[] { type | access << 16, major, minor };
        var reg = new ulong[11];
        var written = new bool[11];
        written[1] = true;   // r1: the context pointer
        int pc = 0;
        bool ctxClobbered = false;
        for (int steps = 0; steps <= program.Count; steps++)
        {
            if (pc < 0 || pc >= program.Count) throw new InvalidOperationException($"pc {pc} outside the program");
            var i = program[pc];
            ulong Src() => Read(i.Src);
            ulong Read(int r) => written[r] ? reg[r] : throw new InvalidOperationException($"insn {pc}: r{r} read before it is written");
            void Write(ulong v) { reg[i.Dst] = v; written[i.Dst] = true; ctxClobbered |= i.Dst == 1; }
            int Target() => i.Off >= 0 ? pc + 1 + i.Off : throw new InvalidOperationException($"insn {pc}: backward jump");
            ulong imm = (ulong)(long)i.Imm;   // the 32-bit immediate, sign-extended as the kernel does
            switch (i.Code)
            {
                case BpfInsn.LdxMemW:
                    if (i.Src != 1 || ctxClobbered) throw new InvalidOperationException($"insn {pc}: load not from the context");
                    if (i.Off is not (0 or 4 or 8)) throw new InvalidOperationException($"insn {pc}: context offset {i.Off}");
                    Write(ctx[i.Off / 4]); pc++; break;
                case BpfInsn.Mov64Imm: Write(imm); pc++; break;
                case BpfInsn.Mov64Reg: Write(Src()); pc++; break;
                case BpfInsn.And64Imm: Write(Read(i.Dst) & imm); pc++; break;
                case BpfInsn.Rsh64Imm: Write(Read(i.Dst) >> i.Imm); pc++; break;
                case BpfInsn.Ja: pc = Target(); break;
                case BpfInsn.JeqImm: pc = Read(i.Dst) == imm ? Target() : pc + 1; break;
                case BpfInsn.JneImm: pc = Read(i.Dst) != imm ? Target() : pc + 1; break;
                case BpfInsn.JsetImm: pc = (Read(i.Dst) & imm) != 0 ? Target() : pc + 1; break;
                case BpfInsn.Exit: return Read(0);
                default: throw new InvalidOperationException($"insn {pc}: opcode 0x{i.Code:x2} is not one the interpreter knows");
            }
        }
        throw new InvalidOperationException("the program did not exit");
    }

    /// <summary>Instructions no path from the first reaches (the verifier rejects "unreachable insn").</summary>
    public static IReadOnlyList<int> Unreachable(IReadOnlyList<BpfInsn> program)
    {
        var seen = new bool[program.Count];
        var todo = new Stack<int>([0]);
        while (todo.Count > 0)
        {
            int pc = todo.Pop();
            if (pc < 0 || pc >= program.Count || seen[pc]) continue;
            seen[pc] = true;
            var i = program[pc];
            if (i.Code == BpfInsn.Exit) continue;
            if (i.Code is BpfInsn.Ja or BpfInsn.JeqImm or BpfInsn.JneImm or BpfInsn.JsetImm) todo.Push(pc + 1 + i.Off);
            if (i.Code != BpfInsn.Ja) todo.Push(pc + 1);
        }
        return Enumerable.Range(0, program.Count).Where(pc => !seen[pc]).ToList();
    }
}
