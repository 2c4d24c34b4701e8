// DeviceFilterTests: the device filter DeviceFilter compiles, run in BpfInterpreter, gives for
// every (type, major, minor, access) the verdict a plain reading of the rules gives: each access
// bit decided by the last rule that matches the device and names it, else denied; the
// runtime's default devices after the rules; a request allowed when all its bits are. Checked
// for Docker's default list, hand-picked cases and a few hundred random lists; plus the
// instruction encoding, the listing, and the errors for bad linux.resources.devices entries.
using MiniRun.Cgroups;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Spec;

namespace MiniRun.Tests.Cgroups;

public sealed class DeviceFilterTests
{
    private const uint C = DeviceFilter.DevChar, B = DeviceFilter.DevBlock;
    private const uint M = 1, R = 2, W = 4;

    private static SpecDeviceCgroup Rule(bool allow, string? type, long? major, long? minor, string? access) =>
        new() { Allow = allow, Type = type, Major = major, Minor = minor, Access = access };

    /// <summary>Docker 20.10's default linux.resources.devices (moby oci/defaults.go), in its order.</summary>
    public static readonly List<SpecDeviceCgroup> DockerDefault =
    [
        Rule(false, null, null, null, "rwm"),
        Rule(true, "c", null, null, "m"),
        Rule(true, "b", null, null, "m"),
        Rule(true, "c", 1, 3, "rwm"), Rule(true, "c", 1, 5, "rwm"), Rule(true, "c", 1, 7, "rwm"),
        Rule(true, "c", 1, 8, "rwm"), Rule(true, "c", 1, 9, "rwm"), Rule(true, "c", 5, 0, "rwm"),
        Rule(true, "c", 5, 1, "rwm"), Rule(true, "c", 5, 2, "rwm"), Rule(true, "c", 136, null, "rwm"),
        Rule(true, "c", 10, 200, "rwm"),
    ];

    /// <summary>The rules read the plain way, without any program: the reference the program is checked against.</summary>
    private static bool Reference(IReadOnlyList<DeviceRule> rules, IReadOnlyList<SpecDevice>? created, uint type, uint major, uint minor, uint access)
    {
        if ((access & ~7u) != 0) return false;
        var all = rules.Concat(DeviceFilter.DefaultAllowed).Concat(DeviceFilter.CreatedNodes(created)).ToList();
        foreach (uint bit in new[] { R, W, M })
        {
            if ((access & bit) == 0) continue;
            DeviceRule? last = null;
            foreach (var r in all)
                if ((r.Type == 'a' || (r.Type == 'c' ? C : B) == type) && (r.Major < 0 || r.Major == major) &&
                    (r.Minor < 0 || r.Minor == minor) && ((uint)r.Access & bit) != 0)
                    last = r;
            if (last is not { Allow: true }) return false;
        }
        return true;
    }

    private static bool Verdict(DeviceProgram p, uint type, uint major, uint minor, uint access) =>
        BpfInterpreter.Run(p.Instructions, type, access, major, minor) switch
        {
            1 => true,
            0 => false,
            var other => throw new InvalidOperationException($"the program returned {other}"),
        };

    private static readonly uint[] Types = [C, B, 0, 3];
    private static readonly uint[] Majors = [0, 1, 4, 5, 8, 10, 136, 240, 4095];
    private static readonly uint[] Minors = [0, 1, 2, 3, 5, 7, 8, 9, 11, 200, 229, 1048575];

    private static void AgreesEverywhere(IReadOnlyList<DeviceRule> rules, IReadOnlyList<SpecDevice>? created = null)
    {
        var p = DeviceFilter.Compile(rules, created);
        Assert.Empty(BpfInterpreter.Unreachable(p.Instructions));
        Assert.True(p.Instructions.Count <= 4096, $"{p.Instructions.Count} instructions");
        foreach (uint t in Types)
        foreach (uint major in Majors)
        foreach (uint minor in Minors)
        for (uint access = 0; access <= 8; access++)
        {
            bool want = Reference(rules, created, t, major, minor, access), got = Verdict(p, t, major, minor, access);
            if (want != got)
                Assert.Fail($"type {t} {major}:{minor} access {access}: the program says {(got ? "allow" : "deny")}, the rules " +
                            $"{(want ? "allow" : "deny")}\nrules: {string.Join("; ", rules)}\n{string.Join('\n', p.Disassembly)}");
        }
    }

    [Fact]
    public void Dockers_default_list_allows_exactly_its_devices()
    {
        var rules = DeviceFilter.Rules(DockerDefault);
        AgreesEverywhere(rules);
        var p = DeviceFilter.Compile(rules);
        Assert.True(Verdict(p, C, 1, 3, R | W));       // /dev/null
        Assert.True(Verdict(p, C, 136, 7, R | W));     // a pty
        Assert.True(Verdict(p, C, 10, 200, R | W));    // /dev/net/tun
        Assert.True(Verdict(p, B, 8, 0, M));           // mknod of a disk: allowed...
        Assert.False(Verdict(p, B, 8, 0, R));          // ...reading it is not
        Assert.False(Verdict(p, B, 8, 0, R | M));
        Assert.False(Verdict(p, C, 4, 1, W));          // /dev/tty1
        Assert.False(Verdict(p, C, 10, 229, R | W));   // /dev/fuse
        Assert.False(Verdict(p, C, 1, 3, R | 8));      // an access bit the kernel does not define
    }

    [Fact]
    public void The_last_matching_rule_decides_each_access()
    {
        var rules = DeviceFilter.Rules([Rule(true, "c", 240, 1, "rwm"), Rule(false, "c", 240, 1, "w")]);
        var p = DeviceFilter.Compile(rules);
        Assert.True(Verdict(p, C, 240, 1, R));
        Assert.False(Verdict(p, C, 240, 1, W));
        Assert.False(Verdict(p, C, 240, 1, R | W));    // open O_RDWR asks both
        Assert.True(Verdict(p, C, 240, 1, M));
        Assert.False(Verdict(p, B, 240, 1, R));        // nothing decides a block device: deny

        // Allow all, then punch a hole: the hole is applied (runc refuses this list).
        p = DeviceFilter.Compile(DeviceFilter.Rules([Rule(true, null, null, null, "rwm"), Rule(false, "c", 240, null, "rw")]));
        Assert.False(Verdict(p, C, 240, 9, R));
        Assert.True(Verdict(p, C, 240, 9, M));
        Assert.True(Verdict(p, B, 240, 9, R | W));
        Assert.True(Verdict(p, C, 241, 9, R | W));

        // Two allows that each grant part of a request add up.
        p = DeviceFilter.Compile(DeviceFilter.Rules([Rule(true, "c", 240, 1, "r"), Rule(true, "c", 240, null, "w")]));
        Assert.True(Verdict(p, C, 240, 1, R | W));
        Assert.False(Verdict(p, C, 240, 2, R | W));
    }

    [Fact]
    public void The_default_devices_stay_usable_whatever_the_rules_say()
    {
        var p = DeviceFilter.Compile(DeviceFilter.Rules([Rule(true, "a", null, null, "rwm"), Rule(false, "c", 1, 3, "rwm"), Rule(false, "a", null, null, "rwm")]));
        foreach (var (major, minor) in new (uint, uint)[] { (1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 2), (136, 0), (136, 99) })
            Assert.True(Verdict(p, C, major, minor, R | W | M), $"c {major}:{minor}");
        Assert.False(Verdict(p, C, 5, 1, R));          // /dev/console's own number is not among them
        Assert.False(Verdict(p, C, 1, 11, W));
        Assert.False(Verdict(p, B, 1, 3, R));          // the block device with null's numbers is not null
    }

    [Fact]
    public void The_nodes_linux_devices_asks_for_may_be_created_but_their_use_is_up_to_the_rules()
    {
        var rules = DeviceFilter.Rules([Rule(false, null, null, null, "rwm"), Rule(true, "c", 240, 2, "rw")]);
        var created = new List<SpecDevice>
        {
            new() { Path = "/dev/a", Type = "c", Major = 240, Minor = 1 },
            new() { Path = "/dev/b", Type = "u", Major = 240, Minor = 2 },
            new() { Path = "/dev/disk", Type = "b", Major = 8, Minor = 0 },
            new() { Path = "/dev/fifo", Type = "p" },
        };
        AgreesEverywhere(rules, created);
        var p = DeviceFilter.Compile(rules, created);
        Assert.True(Verdict(p, C, 240, 1, M));
        Assert.False(Verdict(p, C, 240, 1, R));
        Assert.True(Verdict(p, C, 240, 2, R | W));
        Assert.True(Verdict(p, B, 8, 0, M));
        Assert.False(Verdict(p, B, 8, 0, R));
        Assert.False(Verdict(p, C, 240, 3, M));
        Assert.Contains(p.Listing, l => l.Contains("mknod of the linux.devices nodes: c 240:1 c 240:2 b 8:0"));
    }

    [Fact]
    public void Random_rule_lists_agree_with_the_plain_reading()
    {
        var random = new Random(20240611);
        string[] types = ["a", "c", "b", null!];
        long?[] majors = [null, -1, 1, 5, 136, 240];
        long?[] minors = [null, -1, 1, 3, 9, 200];
        string[] accesses = ["r", "w", "m", "rw", "rm", "wm", "rwm", "mr", null!];
        for (int n = 0; n < 150; n++)
        {
            var list = Enumerable.Range(0, random.Next(0, 9)).Select(_ => Rule(random.Next(2) == 0, types[random.Next(types.Length)],
                majors[random.Next(majors.Length)], minors[random.Next(minors.Length)], accesses[random.Next(accesses.Length)])).ToList();
            AgreesEverywhere(DeviceFilter.Rules(list));
        }
    }

    [Fact]
    public void The_listing_names_every_rule_and_the_defaults()
    {
        var p = DeviceFilter.Compile(DeviceFilter.Rules(DockerDefault));
        Assert.StartsWith($"device filter: {p.Instructions.Count} eBPF instructions", p.Listing[0]);
        Assert.Equal("  1. deny a *:* rwm", p.Listing[1]);
        Assert.Equal("  2. allow c *:* m", p.Listing[2]);
        Assert.Equal("  13. allow c 10:200 rwm", p.Listing[13]);
        Assert.Equal("  then always allowed (runtime-spec default devices, pseudo-terminals): c 1:3 1:5 1:7 1:8 1:9 5:0 5:2 136:* rwm", p.Listing[14]);
        Assert.Equal(15, p.Listing.Count);
        Assert.All(p.Listing, l => Assert.True(l.Length <= 120, l));
        Assert.Equal("   0: r2 = *(u32 *)(r1 +0)   ; r2 = type, r3 = access, r4 = major, r5 = minor", p.Disassembly[0]);
    }

    [Fact]
    public void Instructions_encode_as_struct_bpf_insn()
    {
        var load = new BpfInsn(BpfInsn.LdxMemW, 4, 1, 4, 0);
        Assert.Equal(0x0000_0000_0004_1461UL, load.Encode());     // code 0x61, src r1 << 4 | dst r4, off 4
        var jne = new BpfInsn(BpfInsn.JneImm, 5, 0, 7, 1048575);
        Assert.Equal(0x000F_FFFF_0007_0555UL, jne.Encode());
        var jset = new BpfInsn(BpfInsn.JsetImm, 3, 0, 300, -8);
        Assert.Equal(0xFFFF_FFF8_012C_0345UL, jset.Encode());
        foreach (var i in new[] { load, jne, jset }) Assert.Equal(i, BpfInsn.Decode(i.Encode()));
        Assert.Equal("if r5 != 0xfffff goto pc+7", jne.ToString());
    }

    [Theory]
    [InlineData("x", null, null, "rwm", "linux.resources.devices[1].type \"x\" is not a, c or b")]
    [InlineData("c", -2L, null, "rwm", "linux.resources.devices[1].major -2 is out of range (0-4095, or -1 for any)")]
    [InlineData("c", 1L, 1048576L, "rwm", "linux.resources.devices[1].minor 1048576 is out of range (0-1048575, or -1 for any)")]
    [InlineData("c", 1L, 3L, "", "linux.resources.devices[1].access is empty: give some of r, w and m")]
    [InlineData("b", 8L, 0L, "rwx", "linux.resources.devices[1].access \"rwx\" has 'x': only r, w and m are accesses")]
    public void Bad_entries_are_refused_by_name(string type, long? major, long? minor, string access, string message)
    {
        var e = Assert.Throws<RuntimeException>(() => DeviceFilter.Rules([Rule(false, null, null, null, "rwm"), Rule(true, type, major, minor, access)]));
        Assert.Equal("config.json: " + message, e.Message);
    }

    [Fact]
    public void Absent_fields_mean_every_device_and_every_access()
    {
        var rule = Assert.Single(DeviceFilter.Rules([Rule(true, null, null, -1, null)]));
        Assert.Equal(new DeviceRule(true, 'a', -1, -1, DeviceAccess.All), rule);
        Assert.Equal("allow a *:* rwm", rule.ToString());
    }

    [Fact]
    public void Without_a_cgroup_the_rules_are_checked_and_left_to_nodev_mounts()
    {
        var spec = new RuntimeSpec();
        spec.Linux.Resources = new SpecResources { Devices = [Rule(false, "q", null, null, "rwm")] };
        var e = Assert.Throws<RuntimeException>(() => DeviceFilter.ApplyTo(null, spec, null));
        Assert.Contains("linux.resources.devices[0].type \"q\"", e.Message);
        spec.Linux.Resources.Devices = [Rule(false, null, null, null, "rwm")];
        var trace = new RecordingTrace();
        DeviceFilter.ApplyTo(null, spec, trace);
        Assert.Equal(["linux.resources.devices: no cgroup to attach the device filter to; kept with nodev mounts instead"], trace.Notes);
    }

    private sealed class RecordingTrace : MiniRun.Trace.ITrace
    {
        public List<string> Notes { get; } = [];
        public bool Enabled => true;
        public void Step(MiniRun.Trace.Narration title, MiniRun.Trace.Narration why) { }
        public void Call(string call, string result) => throw new InvalidOperationException($"no kernel call expected: {call}");
        public void Note(MiniRun.Trace.Narration narration) { string text = narration.En; Notes.Add(text); }
        public void Listing(string text) => Notes.Add(text);
        public void Fact(MiniRun.Trace.TraceFact fact, string value) { }
    }
}
