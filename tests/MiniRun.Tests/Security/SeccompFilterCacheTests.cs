// SeccompFilterCacheTests: compiled seccomp filters kept between starts (Kernel/SeccompFilterCache.cs)
// - the key follows the checked profile and the machine; a stored program reads back (0600 in a
// 0700 directory); a short, padded, foreign or altered file is not used; and init's seccomp step
// compiles on a miss (storing the program), skips libseccomp on a hit, and compiles again over a
// corrupted file.
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Tests.Init;
using MiniRun.Trace;

namespace MiniRun.Tests.Security;

public sealed class SeccompFilterCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minirun-seccomp-cache-").FullName;
    private string CacheDir => Path.Combine(_dir, "seccomp-cache");
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SeccompProfile Profile(string action = "SCMP_ACT_ERRNO", bool nnp = false) => SeccompProfile.Compile(new SpecSeccomp
    {
        DefaultAction = "SCMP_ACT_ALLOW",
        Syscalls = [new SpecSyscall { Names = ["mkdir", "mkdirat"], Action = action, ErrnoRet = action == "SCMP_ACT_ERRNO" ? 1 : null }],
    }, nnp);

    private static byte[] Program(int instructions) => Enumerable.Range(0, instructions * 8).Select(i => (byte)(i * 7)).ToArray();

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(55)]
    [InlineData(56)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(119)]
    [InlineData(120)]
    [InlineData(128)]
    [InlineData(1000)]
    [InlineData(8428)]
    [InlineData(20011)]
    public void TheManagedSha256AgreesWithTheFrameworks(int length)
    {
        var data = Enumerable.Range(0, length).Select(i => (byte)(i * 31 + 7)).ToArray();
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(data), Sha256.Hash(data));
    }

    [Fact]
    public void Sha256OfAbcIsTheStandardsExample() =>
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Convert.ToHexStringLower(Sha256.Hash("abc"u8)));

    [Fact]
    public void TheKeyFollowsTheProfileAndTheMachine()
    {
        string a = SeccompFilterCache.Key(Profile(), "x64 Linux 6.1");
        Assert.Equal(a, SeccompFilterCache.Key(Profile(), "x64 Linux 6.1"));
        Assert.Matches("^[0-9a-f]{64}$", a);
        Assert.NotEqual(a, SeccompFilterCache.Key(Profile("SCMP_ACT_KILL"), "x64 Linux 6.1"));
        Assert.NotEqual(a, SeccompFilterCache.Key(Profile(nnp: true), "x64 Linux 6.1"));
        Assert.NotEqual(a, SeccompFilterCache.Key(Profile(), "x64 Linux 6.18"));
        Assert.Contains("libseccomp", SeccompFilterCache.MachineFacts());
        Assert.Contains($" Linux {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()} ", SeccompFilterCache.MachineFacts());   // the kernel release, not the distribution's name
    }

    [Fact]
    public void AStoredProgramReadsBackAndIsPrivate()
    {
        var cache = new SeccompFilterCache(CacheDir);
        Assert.Null(cache.TryRead("k1", out string why));
        Assert.Equal("not cached yet", why);
        var program = Program(20);
        Assert.Null(cache.Write("k1", program));
        Assert.Equal(program, cache.TryRead("k1", out _));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cache.PathOf("k1")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(CacheDir));
        Assert.Equal([cache.PathOf("k1")], Directory.GetFiles(CacheDir));   // no temporary file left
        Assert.NotNull(cache.Write("k2", new byte[12]));   // not whole instructions: refused, not stored
        Assert.False(File.Exists(cache.PathOf("k2")));
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("padded")]
    [InlineData("flipped")]
    [InlineData("foreign")]
    [InlineData("count")]
    [InlineData("empty")]
    public void ADamagedFileIsNotUsed(string damage)
    {
        var cache = new SeccompFilterCache(CacheDir);
        Assert.Null(cache.Write("k", Program(10)));
        string path = cache.PathOf("k");
        byte[] file = File.ReadAllBytes(path);
        byte[] damaged = damage switch
        {
            "truncated" => file[..^3],
            "padded" => [.. file, 0, 0, 0, 0, 0, 0, 0, 0],
            "flipped" => file.Select((b, i) => i == file.Length - 1 ? (byte)(b ^ 1) : b).ToArray(),
            "foreign" => "#!/bin/sh\necho not a filter\n"u8.ToArray(),
            "count" => file.Select((b, i) => i == 8 ? (byte)11 : b).ToArray(),
            _ => [],
        };
        File.WriteAllBytes(path, damaged);
        Assert.Null(cache.TryRead("k", out string why));
        Assert.NotEqual("", why);
    }

    // --- init's seccomp step with a cache (through the kernel fake) ---

    private sealed class Notes : ITrace
    {
        public List<string> Lines { get; } = new();
        public bool Enabled => true;
        public void Step(MiniRun.Trace.Narration title, MiniRun.Trace.Narration why) { }
        public void Call(string call, string result) { }
        public void Note(MiniRun.Trace.Narration narration) { string text = narration.En; Lines.Add(text); }
        public void Listing(string text) => Lines.Add(text);
        public void Fact(MiniRun.Trace.TraceFact fact, string value) { }
    }

    private (FakeKernel Kernel, InitContext Context, Notes Trace) Init()
    {
        var spec = new RuntimeSpec { Linux = new SpecLinux { Seccomp = new SpecSeccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new SpecSyscall { Names = ["mkdir"], Action = "SCMP_ACT_ERRNO" }],
            Flags = ["SECCOMP_FILTER_FLAG_LOG"],
        } } };
        var k = new FakeKernel();
        var trace = new Notes();
        return (k, new InitContext { Spec = spec, BundleDir = _dir, Kernel = k, Trace = trace, SeccompCache = new SeccompFilterCache(CacheDir) }, trace);
    }

    [Fact]
    public void AMissCompilesAndStoresAHitSkipsLibseccompAndLoadsTheSameProgram()
    {
        var (k1, c1, t1) = Init();
        SeccompStep.Compile(c1);
        SeccompStep.Load(c1);
        Assert.Equal(["seccomp compile SCMP_ACT_ALLOW 1 rules", "seccomp export", "seccomp load"], k1.Calls);
        Assert.Contains(t1.Lines, l => l.Contains("not cached yet; compiling"));
        Assert.Single(Directory.GetFiles(CacheDir, "*.bpf"));

        var (k2, c2, t2) = Init();
        SeccompStep.Compile(c2);
        SeccompStep.Load(c2);
        Assert.Equal(["seccomp load"], k2.Calls);   // libseccomp not called
        Assert.Contains(t2.Lines, l => l.Contains("libseccomp not called"));
        Assert.Equal(k1.LoadedFilters.Single().Program, k2.LoadedFilters.Single().Program);
        Assert.Equal(MiniRun.Runtime.ExecSecurity.SECCOMP_FILTER_FLAG_LOG, k2.LoadedFilters.Single().Flags);
    }

    [Fact]
    public void ACorruptedFileIsCompiledAgainAndReplaced()
    {
        var (k1, c1, _) = Init();
        SeccompStep.Compile(c1);
        string file = Directory.GetFiles(CacheDir, "*.bpf").Single();
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..^8]);   // a partial write

        var (k2, c2, t2) = Init();
        SeccompStep.Compile(c2);
        SeccompStep.Load(c2);
        Assert.Equal(["seccomp compile SCMP_ACT_ALLOW 1 rules", "seccomp export", "seccomp load"], k2.Calls);
        Assert.Contains(t2.Lines, l => l.Contains("do not hold the") && l.Contains("compiling"));
        Assert.NotNull(new SeccompFilterCache(CacheDir).TryRead(Path.GetFileNameWithoutExtension(file), out _));   // replaced by a whole file
    }

    [Fact]
    public void WithoutACacheEveryStartCompiles()
    {
        var (k, c, _) = Init();
        c = new InitContext { Spec = c.Spec, BundleDir = _dir, Kernel = k, Trace = NullTrace.Instance };
        SeccompStep.Compile(c);
        SeccompStep.Load(c);
        Assert.Equal(["seccomp compile SCMP_ACT_ALLOW 1 rules", "seccomp export", "seccomp load"], k.Calls);
        Assert.False(Directory.Exists(CacheDir));
    }
}
