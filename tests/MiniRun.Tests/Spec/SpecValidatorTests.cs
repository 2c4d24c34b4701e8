// SpecValidatorTests: every refusal of config.json is one line naming the field; fields
// runtime-spec defines but MiniRun lacks are refused when set, extensions and future fields are
// not; the skipped paths are recorded by the reader only when something is skipped; and
// ContainerStarter refuses before it clones anything.
using System.Text;
using MiniRun.Runtime;
using MiniRun.Spec;

namespace MiniRun.Tests.Spec;

public sealed class SpecValidatorTests
{
    /// <summary>A valid minimal bundle config with <paramref name="extra"/> members spliced into the top object.</summary>
    private static RuntimeSpec Read(string extra = "", string process = "", string linux = "") => RuntimeSpecReader.Parse(Encoding.UTF8.GetBytes(
        "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"}," +
        "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"" + process + "}," +
        "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"}]" + linux + "}" + extra + "}"));

    private static string? Problem(RuntimeSpec spec) => SpecValidator.Problem(spec);

    [Fact]
    public void AValidSpecPassesAndReadsWithoutRecordingAnything()
    {
        var spec = Read();
        Assert.Null(spec.Unread);   // nothing skipped: no list made
        Assert.Null(Problem(spec));
    }

    [Theory]
    [InlineData("\"ociVersion\":\"2.0.0\"", "ociVersion \"2.0.0\" is not 1.x (MiniRun implements runtime-spec 1.x)")]
    [InlineData("\"ociVersion\":\"\"", "ociVersion \"\" is not 1.x (MiniRun implements runtime-spec 1.x)")]
    [InlineData("\"root\":{\"path\":\"\"}", "root.path is missing")]
    [InlineData("\"process\":{\"args\":[],\"cwd\":\"/\"}", "process.args is empty: there is no command to run")]
    [InlineData("\"process\":{\"cwd\":\"/\"}", "process.args is empty: there is no command to run")]
    [InlineData("\"process\":{\"args\":[\"sh\"],\"cwd\":\"tmp\"}", "process.cwd \"tmp\" is not an absolute path")]
    [InlineData("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,\"hard\":1},{\"type\":\"RLIMIT_NOFILE\",\"soft\":2,\"hard\":2}]}",
        "process.rlimits[1].type \"RLIMIT_NOFILE\" is listed twice")]
    [InlineData("\"mounts\":[{\"destination\":\"/ok\",\"type\":\"tmpfs\"},{\"destination\":\"data\",\"type\":\"tmpfs\"}]", "mounts[1].destination \"data\" is not an absolute path")]
    [InlineData("\"mounts\":[{\"destination\":\"/data\",\"options\":[\"rbind\"]}]", "mounts[0].source is missing for a bind mount on /data")]
    [InlineData("\"mounts\":[{\"destination\":\"/d\",\"type\":\"bind\",\"source\":\"/s\",\"options\":[\"rbind\",\"ridmap\"]}]",
        "mounts[0].options \"ridmap\" (idmapped mount) is not supported by MiniRun")]
    [InlineData("\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pids\"}]}",
        "linux.namespaces[1].type \"pids\" is not a namespace type (pid, network, mount, ipc, uts, user, cgroup, time)")]
    [InlineData("\"linux\":{\"namespaces\":[{\"type\":\"time\"}]}", "linux.namespaces[0].type \"time\" is not supported by MiniRun")]
    [InlineData("\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"uts\"},{\"type\":\"pid\"}]}", "linux.namespaces[2].type \"pid\" is listed twice")]
    [InlineData("\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"proc/1/ns/net\"}]}", "linux.namespaces[0].path \"proc/1/ns/net\" is not an absolute path")]
    [InlineData("\"linux\":{\"namespaces\":[{\"type\":\"pid\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}]}",
        "linux.uidMappings needs a user namespace (linux.namespaces has no \"user\")")]
    [InlineData("\"linux\":{\"namespaces\":[{\"type\":\"pid\"}],\"gidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}]}",
        "linux.gidMappings needs a user namespace (linux.namespaces has no \"user\")")]
    [InlineData("\"linux\":{\"rootfsPropagation\":\"rsharde\"}",
        "linux.rootfsPropagation \"rsharde\" is not one of private, rprivate, shared, rshared, slave, rslave, unbindable, runbindable")]
    [InlineData("\"linux\":{\"devices\":[{\"type\":\"c\",\"path\":\"dev/x\",\"major\":1,\"minor\":3}]}", "linux.devices[0].path \"dev/x\" is not an absolute path")]
    [InlineData("\"linux\":{\"devices\":[{\"type\":\"x\",\"path\":\"/dev/x\",\"major\":1,\"minor\":3}]}", "linux.devices[0].type \"x\" is not c, b, u or p")]
    [InlineData("\"linux\":{\"devices\":[{\"type\":\"c\",\"path\":\"/dev/x\"}]}", "linux.devices[0] (/dev/x): major and minor are required for type \"c\"")]
    [InlineData("\"linux\":{\"devices\":[{\"type\":\"b\",\"path\":\"/dev/x\",\"major\":4096,\"minor\":0}]}",
        "linux.devices[0] (/dev/x): 4096:0 is out of range (major 0-4095, minor 0-1048575)")]
    [InlineData("\"linux\":{\"devices\":[{\"type\":\"p\",\"path\":\"/dev/x\"},{\"type\":\"p\",\"path\":\"/dev/x\"}]}", "linux.devices[1].path \"/dev/x\" is listed twice")]
    [InlineData("\"hooks\":{\"createRuntime\":[{\"path\":\"/bin/true\"},{\"path\":\"bin/x\"}]}", "hooks.createRuntime[1].path \"bin/x\" is not an absolute path")]
    [InlineData("\"hooks\":{\"poststop\":[{\"path\":\"\"}]}", "hooks.poststop[0].path \"\" is not an absolute path")]
    [InlineData("\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\",\"timeout\":0}]}", "hooks.prestart[0].timeout 0 is not a positive number of seconds")]
    [InlineData("\"hooks\":{\"startContainer\":[{\"path\":\"/bin/true\",\"timeout\":-5}]}", "hooks.startContainer[0].timeout -5 is not a positive number of seconds")]
    public void EachProblemIsOneLineNamingTheField(string member, string problem)
    {
        // The member replaces the valid one of the same name (the reader keeps the last value).
        var spec = Read(extra: "," + member);
        Assert.Equal(problem, Problem(spec));
        var e = Assert.Throws<InvalidDataException>(() => SpecValidator.Validate(spec));
        Assert.Equal("config.json: " + problem, e.Message);
    }

    [Theory]
    [InlineData("vm", "{\"hypervisor\":{\"path\":\"/q\"}}")]
    [InlineData("solaris", "{\"milestone\":\"x\"}")]
    [InlineData("windows", "{\"layerFolders\":[\"c\"]}")]
    [InlineData("domainname", "\"example.org\"")]
    public void TopLevelFieldsMiniRunLacksAreRefused(string field, string value) =>
        Assert.Equal($"{field} is not supported by MiniRun", Problem(Read(extra: $",\"{field}\":{value}")));

    [Theory]
    [InlineData("selinuxLabel", "\"system_u:system_r:container_t:s0\"")]
    [InlineData("ioPriority", "{\"class\":\"IOPRIO_CLASS_IDLE\",\"priority\":0}")]
    [InlineData("scheduler", "{\"policy\":\"SCHED_BATCH\"}")]
    [InlineData("execCPUAffinity", "{\"initial\":\"0\"}")]
    public void ProcessFieldsMiniRunLacksAreRefused(string field, string value) =>
        Assert.Equal($"process.{field} is not supported by MiniRun", Problem(Read(process: $",\"{field}\":{value}")));

    [Theory]
    [InlineData("intelRdt", "{\"closID\":\"guaranteed\"}", "linux.intelRdt")]
    [InlineData("personality", "{\"domain\":\"LINUX32\"}", "linux.personality")]
    [InlineData("timeOffsets", "{\"monotonic\":{\"secs\":1}}", "linux.timeOffsets")]
    [InlineData("memoryPolicy", "{\"mode\":\"MPOL_BIND\",\"nodes\":\"0\"}", "linux.memoryPolicy")]
    [InlineData("mountLabel", "\"system_u:object_r:container_file_t:s0\"", "linux.mountLabel")]
    [InlineData("resources", "{\"pids\":{\"limit\":5},\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":1}]}", "linux.resources.hugepageLimits")]
    [InlineData("resources", "{\"rdma\":{\"mlx5_1\":{\"hcaHandles\":3}}}", "linux.resources.rdma")]
    [InlineData("resources", "{\"network\":{\"classID\":1048577}}", "linux.resources.network")]
    public void LinuxFieldsMiniRunLacksAreRefused(string field, string value, string path) =>
        Assert.Equal($"{path} is not supported by MiniRun", Problem(Read(linux: $",\"{field}\":{value}")));

    [Fact]
    public void HooksAreReadAndAValidSetPasses()
    {
        var spec = Read(extra: ",\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\",\"timeout\":1}],\"createContainer\":[{\"path\":\"/x\",\"args\":[\"x\",\"-v\"],\"env\":[\"A=1\"]}],\"poststop\":[]}");
        Assert.Null(Problem(spec));
        Assert.Null(spec.Unread);
        Assert.Equal(["x", "-v"], spec.Hooks!.CreateContainer![0].Args);
    }

    [Fact]
    public void IdmappedMountsAreRefused() =>
        Assert.Equal("mounts[].uidMappings is not supported by MiniRun", Problem(Read(extra:
            ",\"mounts\":[{\"destination\":\"/d\",\"type\":\"bind\",\"source\":\"/s\",\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}]")));

    [Theory]
    [InlineData(",\"hooks\":{}")]
    [InlineData(",\"hooks\":null")]
    [InlineData(",\"domainname\":\"\"")]
    [InlineData(",\"vm\":{}")]
    public void EmptyValuesOfLackingFieldsAreAccepted(string extra) => Assert.Null(Problem(Read(extra: extra)));

    [Fact]
    public void ExtensionsAndFutureFieldsStayIgnored()
    {
        var spec = Read(extra: ",\"io.example.tool\":{\"x\":1},\"aFieldOf2030\":[1]", process: ",\"io.minirun.x\":\"y\"",
            linux: ",\"resources\":{\"futureController\":{\"limit\":5}},\"someFutureThing\":true");
        Assert.Null(Problem(spec));
        Assert.Equal(["process.io.minirun.x", "linux.resources.futureController", "linux.someFutureThing", "io.example.tool", "aFieldOf2030"], spec.Unread);   // in document order
    }

    [Fact]
    public void NotImplementedNamesAreSpecPathsWithoutDuplicates()
    {
        Assert.Equal(SpecValidator.NotImplemented.Length, SpecValidator.NotImplemented.Distinct().Count());
        // Fields other helpers implement must not be listed here.
        foreach (var implemented in new[] { "process.capabilities", "process.rlimits", "process.oomScoreAdj", "linux.sysctl", "linux.seccomp", "process.user.umask", "linux.devices", "hooks" })
            Assert.DoesNotContain(implemented, SpecValidator.NotImplemented);
    }

    [Fact]
    public void TheStarterRefusesBeforeItClonesAnything()
    {
        var spec = Read(linux: ",\"intelRdt\":{\"closID\":\"x\"}");
        // A missing init executable would fail at clone: the validator's message comes first.
        var e = Assert.Throws<InvalidDataException>(() => ContainerStarter.Start(
            new StartRequest("/nonexistent-bundle", spec, "/nonexistent/minirun", ConnectStdin: false)));
        Assert.Equal("config.json: linux.intelRdt is not supported by MiniRun", e.Message);
    }
}
