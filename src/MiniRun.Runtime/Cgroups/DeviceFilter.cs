// DeviceFilter: config.json's linux.resources.devices (the device allow list) as the small eBPF
// program that cgroup v2 runs on every open and mknod of a device node in the container.
//
// Why: a container must not reach the host's disks or consoles even when it holds a device node
// for one (made with CAP_MKNOD, or passed in by mistake). cgroup v1 had devices.allow and
// devices.deny; cgroup v2 has no such files: the runtime compiles the rules into a program of
// type BPF_PROG_TYPE_CGROUP_DEVICE and attaches it to the container's cgroup. The kernel hands
// the program struct bpf_cgroup_dev_ctx { u32 access_type (type | access << 16); u32 major;
// u32 minor; } and refuses the access with EPERM when it returns 0.
//
// What the rules mean (runtime-spec: "The runtime MUST apply entries in the listed order"):
//   - each access asked for (r read, w write, m mknod) is decided on its own by the LAST rule
//     that matches the device (type a = c and b; a missing or -1 major/minor = any) and names
//     that access; an access that no rule decides is denied (an allow list, as runtime-spec
//     says); a request (open O_RDWR asks r and w) succeeds only when each of its accesses does.
//   - after the rules come, always allowed, the devices runtime-spec makes every container
//     have ("Default Devices": null, zero, full, random, urandom, tty) plus the container's own
//     pseudo-terminals (ptmx 5:2, pts 136:*). runc and crun append these (and more) too, and
//     engines rely on it: containerd's default spec sends only "deny all". Unlike runc and
//     crun, MiniRun does not add "c *:* m" and "b *:* m" (mknod of any device) on its own:
//     engines that want them send them (Docker does). It allows only mknod (m) of the nodes
//     linux.devices asks for: the filter is attached before init runs (so nothing the
//     container starts escapes it) and init must still create those nodes; runc gets the same
//     effect by attaching its filter only after init made them. Reading and writing them is
//     up to the rules.
//   - an empty or absent list attaches nothing (every device node is usable), as before.
//   - a container without a cgroup keeps the list with nodev mounts instead (DeviceAllowList).
//   - differences from runc's emulation of cgroup v1: a deny that punches a hole in an earlier
//     wildcard allow ("allow c *:* rwm", then "deny c 1:9 w") is applied here, where runc
//     refuses it; a type "a" rule with numbers matches those numbers (runc and cgroup v1 read
//     any "a" rule as "a *:* rwm").
// The program: load the three numbers into r2 (type), r3 (access), r4 (major), r5 (minor);
// deny an access bit the kernel does not define; then one section per group of access bits
// that the same rules name, each checking those rules from the last to the first and jumping
// to "deny" or on to the next section; after the last section, allow. No helper is called and
// every jump goes forward, so the verifier accepts it at once.
//
// Replacing (the update verb): the new program is attached next to the old ones
// (BPF_F_ALLOW_MULTI: all must allow, so there is never a moment without a filter), then the
// programs attached before are detached. Removing the cgroup frees its programs.
//
// Follows: bpf(2); Documentation/admin-guide/cgroup-v2.rst "Device controller";
// include/uapi/linux/bpf.h (struct bpf_cgroup_dev_ctx, BPF_DEVCG_ACC_*, BPF_DEVCG_DEV_*);
// runtime-spec config-linux.md "Allowed Device list" and "Default Devices".
using System.Runtime.InteropServices;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Cgroups;

/// <summary>The accesses of struct bpf_cgroup_dev_ctx (BPF_DEVCG_ACC_*).</summary>
[Flags]
public enum DeviceAccess { None = 0, Mknod = 1, Read = 2, Write = 4, All = 7 }

/// <summary>One rule: allow or deny <see cref="Access"/> to devices of <see cref="Type"/> ('a', 'c', 'b'); -1 = any number.</summary>
public sealed record DeviceRule(bool Allow, char Type, long Major, long Minor, DeviceAccess Access)
{
    /// <summary>"allow c 1:3 rwm", "deny a *:* rwm": cgroup v1's devices.list notation.</summary>
    public override string ToString() =>
        $"{(Allow ? "allow" : "deny")} {Type} {(Major < 0 ? "*" : Major)}:{(Minor < 0 ? "*" : Minor)} {AccessText(Access)}";

    public static string AccessText(DeviceAccess a) =>
        (a.HasFlag(DeviceAccess.Read) ? "r" : "") + (a.HasFlag(DeviceAccess.Write) ? "w" : "") + (a.HasFlag(DeviceAccess.Mknod) ? "m" : "");
}

/// <summary>A compiled filter: the instructions and a short listing of what they decide.</summary>
public sealed record DeviceProgram(IReadOnlyList<BpfInsn> Instructions, IReadOnlyList<DeviceRule> Rules, IReadOnlyList<string> Listing)
{
    /// <summary>One instruction a line, numbered, each rule's first instruction commented (for tests and debugging).</summary>
    public IReadOnlyList<string> Disassembly { get; init; } = [];
}

public static class DeviceFilter
{
    /// <summary>struct bpf_cgroup_dev_ctx's types (BPF_DEVCG_DEV_*).</summary>
    public const int DevBlock = 1, DevChar = 2;

    /// <summary>Always allowed after the spec's rules: runtime-spec's default devices and the container's pseudo-terminals.</summary>
    public static readonly IReadOnlyList<DeviceRule> DefaultAllowed =
    [
        new(true, 'c', 1, 3, DeviceAccess.All),    // /dev/null
        new(true, 'c', 1, 5, DeviceAccess.All),    // /dev/zero
        new(true, 'c', 1, 7, DeviceAccess.All),    // /dev/full
        new(true, 'c', 1, 8, DeviceAccess.All),    // /dev/random
        new(true, 'c', 1, 9, DeviceAccess.All),    // /dev/urandom
        new(true, 'c', 5, 0, DeviceAccess.All),    // /dev/tty
        new(true, 'c', 5, 2, DeviceAccess.All),    // /dev/ptmx (the container's devpts instance)
        new(true, 'c', 136, -1, DeviceAccess.All), // /dev/pts/N, also /dev/console with a terminal
    ];

    /// <summary>
    /// The one call of the create path: compiles linux.resources.devices (errors name the field
    /// even when nothing is attached) and attaches the filter to the container's cgroup. Without
    /// a cgroup (--cgroup-manager disabled, or no cgroup2 filesystem) there is nowhere to attach
    /// it: init keeps the list with nodev mounts instead (Init/NodevDeviceSteps.cs).
    /// </summary>
    public static void ApplyTo(Cgroup? cgroup, RuntimeSpec spec, ITrace? trace)
    {
        var list = spec.Linux.Resources?.Devices;
        if (list is null || list.Count == 0) return;
        var program = Compile(Rules(list), spec.Linux.Devices);
        if (cgroup is null)
        {
            trace?.Note(Messages.DeviceFilterNoCgroup);
            return;
        }
        Attach(cgroup.Path, program, trace);
    }

    /// <summary>linux.resources.devices as rules; a bad entry throws RuntimeException naming it.</summary>
    public static IReadOnlyList<DeviceRule> Rules(IReadOnlyList<SpecDeviceCgroup> list)
    {
        var rules = new List<DeviceRule>();
        for (int i = 0; i < list.Count; i++)
        {
            var d = list[i];
            string field = $"config.json: linux.resources.devices[{i}]";
            char type = (d.Type ?? "a") switch
            {
                "a" => 'a', "c" => 'c', "b" => 'b',
                _ => throw new RuntimeException($"{field}.type {GoQuote.Quote(d.Type)} is not a, c or b"),
            };
            long major = Number(d.Major, 4095, $"{field}.major");
            long minor = Number(d.Minor, 1048575, $"{field}.minor");
            var access = DeviceAccess.None;
            if (d.Access is null) access = DeviceAccess.All;
            else if (d.Access.Length == 0) throw new RuntimeException($"{field}.access is empty: give some of r, w and m");
            foreach (char c in d.Access ?? "")
                access |= c switch
                {
                    'r' => DeviceAccess.Read, 'w' => DeviceAccess.Write, 'm' => DeviceAccess.Mknod,
                    _ => throw new RuntimeException($"{field}.access {GoQuote.Quote(d.Access)} has '{c}': only r, w and m are accesses"),
                };
            rules.Add(new DeviceRule(d.Allow, type, major, minor, access));
        }
        return rules;
    }

    private static long Number(long? value, long max, string field) => value switch
    {
        null or -1 => -1,
        >= 0 when value <= max => value.Value,
        _ => throw new RuntimeException($"{field} {value} is out of range (0-{max}, or -1 for any)"),
    };

    // Registers: r1 the context, r2 type, r3 access, r4 major, r5 minor, r0 scratch and result.
    private const byte R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

    /// <summary>"allow m" for each node linux.devices asks init to create (FIFOs are no devices).</summary>
    public static IReadOnlyList<DeviceRule> CreatedNodes(IReadOnlyList<SpecDevice>? devices) =>
        (devices ?? []).Where(d => d.Type is "c" or "u" or "b" && d.Major is not null && d.Minor is not null)
            .Select(d => new DeviceRule(true, d.Type == "b" ? 'b' : 'c', d.Major!.Value, d.Minor!.Value, DeviceAccess.Mknod))
            .Distinct().ToList();

    /// <summary>
    /// The program for <paramref name="rules"/>, followed by <see cref="DefaultAllowed"/> and
    /// mknod of the nodes in <paramref name="created"/> (linux.devices).
    /// </summary>
    public static DeviceProgram Compile(IReadOnlyList<DeviceRule> rules, IReadOnlyList<SpecDevice>? created = null)
    {
        var made = CreatedNodes(created);
        var all = rules.Concat(DefaultAllowed).Concat(made).ToList();
        var asm = new Assembler();
        const int Deny = -1, Allow = -2;
        asm.Emit(new(BpfInsn.LdxMemW, R2, R1, 0, 0), "r2 = type, r3 = access, r4 = major, r5 = minor");
        asm.Emit(new(BpfInsn.Mov64Reg, R3, R2, 0, 0));
        asm.Emit(new(BpfInsn.And64Imm, R2, 0, 0, 0xffff));
        asm.Emit(new(BpfInsn.Rsh64Imm, R3, 0, 0, 16));
        asm.Emit(new(BpfInsn.LdxMemW, R4, R1, 4, 0));
        asm.Emit(new(BpfInsn.LdxMemW, R5, R1, 8, 0));
        asm.Jump(new(BpfInsn.JsetImm, R3, 0, 0, ~(int)DeviceAccess.All), Deny, "an access bit this filter does not know: deny");

        // Accesses named by exactly the same rules share one section (usually one or two sections).
        var groups = new[] { DeviceAccess.Read, DeviceAccess.Write, DeviceAccess.Mknod }
            .Select(bit => (Bit: bit, Rules: Enumerable.Range(0, all.Count).Where(i => all[i].Access.HasFlag(bit)).ToArray()))
            .GroupBy(g => string.Join(',', g.Rules))
            .Select(g => (Mask: g.Aggregate(DeviceAccess.None, (m, x) => m | x.Bit), Rules: g.First().Rules))
            .ToList();
        int label = 0;
        foreach (var (mask, indices) in groups)
        {
            int sectionEnd = label++;
            asm.Emit(new(BpfInsn.Mov64Reg, R0, R3, 0, 0), $"accesses {DeviceRule.AccessText(mask)}: the last matching rule decides");
            asm.Emit(new(BpfInsn.And64Imm, R0, 0, 0, (int)mask));
            asm.Jump(new(BpfInsn.JeqImm, R0, 0, 0, 0), sectionEnd);
            bool decided = false;
            for (int k = indices.Length - 1; k >= 0 && !decided; k--)
            {
                var rule = all[indices[k]];
                int next = label++;
                string? comment = indices[k] < rules.Count ? $"rule {indices[k] + 1}: {rule}" : $"always: {rule}";
                bool any = true;
                if (rule.Type != 'a') { asm.Jump(new(BpfInsn.JneImm, R2, 0, 0, rule.Type == 'c' ? DevChar : DevBlock), next, comment); comment = null; any = false; }
                if (rule.Major >= 0) { asm.Jump(new(BpfInsn.JneImm, R4, 0, 0, (int)rule.Major), next, comment); comment = null; any = false; }
                if (rule.Minor >= 0) { asm.Jump(new(BpfInsn.JneImm, R5, 0, 0, (int)rule.Minor), next, comment); comment = null; any = false; }
                asm.Jump(new(BpfInsn.Ja, 0, 0, 0, 0), rule.Allow ? sectionEnd : Deny, comment);
                asm.Label(next);
                decided = any;   // a rule that matches every device: the rules before it are never reached
            }
            if (!decided) asm.Jump(new(BpfInsn.Ja, 0, 0, 0, 0), Deny, "no rule decides: deny");
            asm.Label(sectionEnd);
        }
        asm.Label(Allow);
        asm.Emit(new(BpfInsn.Mov64Imm, R0, 0, 0, 1), "allow");
        asm.Emit(new(BpfInsn.Exit, 0, 0, 0, 0));
        asm.Label(Deny);
        asm.Emit(new(BpfInsn.Mov64Imm, R0, 0, 0, 0), "deny (EPERM)");
        asm.Emit(new(BpfInsn.Exit, 0, 0, 0, 0));
        var insns = asm.Link();

        var listing = new List<string>
        {
            $"device filter: {insns.Count} eBPF instructions; for each access (r, w, m) the last rule naming it decides, else deny",
        };
        for (int i = 0; i < rules.Count; i++) listing.Add($"  {i + 1}. {rules[i]}");
        listing.Add("  then always allowed (runtime-spec default devices, pseudo-terminals): c " +
                    string.Join(' ', DefaultAllowed.Select(d => $"{d.Major}:{(d.Minor < 0 ? "*" : d.Minor)}")) + " rwm");
        if (made.Count > 0)
            listing.Add("  and mknod of the linux.devices nodes: " + string.Join(' ', made.Select(d => $"{d.Type} {d.Major}:{d.Minor}")));
        return new DeviceProgram(insns, all, listing) { Disassembly = asm.Disassemble(insns) };
    }

    /// <summary>
    /// Loads the program and attaches it to the cgroup directory <paramref name="cgroupPath"/>;
    /// device programs attached there before (an earlier filter of this container) are detached afterwards.
    /// </summary>
    public static void Attach(string cgroupPath, DeviceProgram program, ITrace? trace)
    {
        trace ??= NullTrace.Instance;
        trace.Step(Messages.DeviceFilterTitle, Messages.DeviceFilterWhy);
        foreach (var line in program.Listing) trace.Listing(line);
        int dir = Libc.open(cgroupPath, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (dir < 0) throw new KernelException($"open {cgroupPath}", Marshal.GetLastPInvokeError());
        int prog = -1;
        try
        {
            var before = Bpf.Query(dir, cgroupPath);
            trace.Call($"bpf(BPF_PROG_QUERY, {cgroupPath}, BPF_CGROUP_DEVICE)", Messages.ResultBpfAttached.With(before.Length).Text);
            prog = Bpf.LoadDeviceProgram(program.Instructions.Select(i => i.Encode()).ToArray(), "minirun_devices");
            trace.Call($"bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE, {program.Instructions.Count} insns, {GoQuote.Quote(Bpf.License)})", $"fd {prog}");
            Bpf.Attach(dir, prog, cgroupPath);
            trace.Call($"bpf(BPF_PROG_ATTACH, {cgroupPath}, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI)", "0");
            foreach (uint id in before)
            {
                int old = Bpf.ProgramFd(id);
                try { Bpf.Detach(dir, old, cgroupPath); }
                finally { Libc.close(old); }
                trace.Call($"bpf(BPF_PROG_DETACH, {cgroupPath}, BPF_CGROUP_DEVICE, program {id})", "0");
            }
        }
        finally
        {
            if (prog >= 0) Libc.close(prog);   // the attachment keeps the program alive
            Libc.close(dir);
        }
    }

    /// <summary>Instructions with symbolic forward jumps, resolved by <see cref="Link"/>.</summary>
    private sealed class Assembler
    {
        private readonly List<(BpfInsn Insn, int? Target, string? Comment)> _code = [];
        private readonly Dictionary<int, int> _labels = [];

        public void Emit(BpfInsn insn, string? comment = null) => _code.Add((insn, null, comment));
        public void Jump(BpfInsn insn, int target, string? comment = null) => _code.Add((insn, target, comment));
        public void Label(int id) => _labels[id] = _code.Count;

        public List<BpfInsn> Link()
        {
            var result = new List<BpfInsn>(_code.Count);
            for (int i = 0; i < _code.Count; i++)
            {
                var (insn, target, _) = _code[i];
                if (target is int t)
                {
                    int off = _labels[t] - (i + 1);
                    if (off < 0 || off > short.MaxValue)
                        throw new InvalidOperationException($"device filter: jump from {i} to {_labels[t]} cannot be encoded");
                    insn = insn with { Off = (short)off };
                }
                result.Add(insn);
            }
            return result;
        }

        public List<string> Disassemble(List<BpfInsn> linked) =>
            linked.Select((insn, i) => $"{i,4}: {insn}" + (_code[i].Comment is { } c ? $"   ; {c}" : "")).ToList();
    }
}
