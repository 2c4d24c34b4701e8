// SpecResourcesValidatorTests: linux.resources is checked field by field before anything exists:
// bad values and the cgroup v1-only settings are one line naming the field; what cgroup v2
// expresses, and the "not set" values other writers use (0, -1, swappiness as uint64 -1), pass.
using System.Text;
using MiniRun.Spec;

namespace MiniRun.Tests.Spec;

public sealed class SpecResourcesValidatorTests
{
    private static RuntimeSpec Read(string resources) => RuntimeSpecReader.Parse(Encoding.UTF8.GetBytes(
        "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}," +
        "\"linux\":{\"namespaces\":[{\"type\":\"pid\"}],\"resources\":" + resources + "}}"));

    private static string? Problem(string resources) => SpecValidator.Problem(Read(resources));

    [Fact]
    public void Every_field_cgroup_v2_expresses_passes()
    {
        Assert.Null(Problem("""
            {"devices": [{"allow": false, "access": "rwm"}],
             "memory": {"limit": 1073741824, "reservation": 536870912, "swap": 2147483648, "kernel": -1, "kernelTCP": -1,
                        "swappiness": 18446744073709551615, "disableOOMKiller": false, "useHierarchy": true, "checkBeforeUpdate": true},
             "cpu": {"shares": 1024, "quota": 50000, "burst": 10000, "period": 100000, "realtimeRuntime": 0, "realtimePeriod": 0,
                     "cpus": "0-1,3", "mems": "0", "idle": 1},
             "pids": {"limit": 32771},
             "blockIO": {"weight": 10, "weightDevice": [{"major": 8, "minor": 0, "weight": 500}],
                         "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 600}]},
             "unified": {"memory.high": "64M", "io.max": "259:0 rbps=2097152", "hugetlb.2MB.max": "0"}}
            """));
        Assert.Null(Problem("""{"memory": {"limit": -1, "swap": -1}, "pids": {"limit": 0}, "cpu": {"quota": -1, "shares": 0}}"""));
    }

    [Theory]
    [InlineData("""{"cpu": {"cpus": "0-"}}""", "linux.resources.cpu.cpus \"0-\" is not a CPU list (such as 0-2,4)")]
    [InlineData("""{"cpu": {"mems": "x"}}""", "linux.resources.cpu.mems \"x\" is not a memory node list (such as 0-1)")]
    [InlineData("""{"cpu": {"shares": 1}}""", "linux.resources.cpu.shares 1 is not between 2 and 262144")]
    [InlineData("""{"cpu": {"quota": 500}}""", "linux.resources.cpu.quota 500 is not -1 (no limit) or at least 1000 microseconds")]
    [InlineData("""{"cpu": {"period": 2000000}}""", "linux.resources.cpu.period 2000000 is not between 1000 and 1000000 microseconds")]
    [InlineData("""{"cpu": {"quota": 20000, "burst": 30000}}""", "linux.resources.cpu.burst 30000 is more than cpu.quota 20000")]
    [InlineData("""{"cpu": {"idle": 2}}""", "linux.resources.cpu.idle 2 is not 0 or 1")]
    [InlineData("""{"memory": {"limit": -2}}""", "linux.resources.memory.limit -2 is not a number of bytes (or -1 for no limit)")]
    [InlineData("""{"memory": {"swap": 1000}}""", "linux.resources.memory.swap needs memory.limit: swap is memory plus swap")]
    [InlineData("""{"memory": {"limit": 2000, "swap": 1000}}""", "linux.resources.memory.swap 1000 is less than memory.limit 2000 (swap is memory plus swap)")]
    [InlineData("""{"memory": {"limit": 1000, "reservation": 2000}}""", "linux.resources.memory.reservation 2000 is more than memory.limit 1000")]
    [InlineData("""{"blockIO": {"weight": 5}}""", "linux.resources.blockIO.weight 5 is not between 10 and 1000")]
    [InlineData("""{"blockIO": {"weightDevice": [{"major": 8, "minor": 0}]}}""", "linux.resources.blockIO.weightDevice[0].weight (missing) is not between 10 and 1000")]
    [InlineData("""{"blockIO": {"throttleReadBpsDevice": [{"major": 5000, "minor": 0, "rate": 1}]}}""",
        "linux.resources.blockIO.throttleReadBpsDevice[0]: 5000:0 is not a device number (major 0-4095, minor 0-1048575)")]
    public void A_bad_value_is_named_by_field(string resources, string expected) => Assert.Equal(expected, Problem(resources));

    [Theory]
    [InlineData("""{"memory": {"kernel": 1048576}}""", "linux.resources.memory.kernel is a cgroup v1 setting")]
    [InlineData("""{"memory": {"kernelTCP": 1048576}}""", "linux.resources.memory.kernelTCP is a cgroup v1 setting")]
    [InlineData("""{"memory": {"swappiness": 0}}""", "linux.resources.memory.swappiness is a cgroup v1 setting")]
    [InlineData("""{"memory": {"disableOOMKiller": true}}""", "linux.resources.memory.disableOOMKiller is a cgroup v1 setting")]
    [InlineData("""{"memory": {"useHierarchy": false}}""", "linux.resources.memory.useHierarchy false is a cgroup v1 setting")]
    [InlineData("""{"cpu": {"realtimeRuntime": 950000}}""", "linux.resources.cpu.realtimeRuntime is a cgroup v1 setting")]
    [InlineData("""{"cpu": {"realtimePeriod": 1000000}}""", "linux.resources.cpu.realtimePeriod is a cgroup v1 setting")]
    [InlineData("""{"blockIO": {"leafWeight": 10}}""", "linux.resources.blockIO.leafWeight is a cgroup v1 setting")]
    [InlineData("""{"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "weight": 100, "leafWeight": 10}]}}""",
        "linux.resources.blockIO.weightDevice[0].leafWeight is a cgroup v1 setting")]
    public void Cgroup_v1_only_settings_are_refused_by_name_with_a_reason(string resources, string start)
    {
        var problem = Problem(resources);
        Assert.NotNull(problem);
        Assert.StartsWith(start, problem);
        Assert.Contains("MiniRun implements cgroup v2 only (", problem);
    }

    [Theory]
    [InlineData("../memory.max", "is not a plain file name (no '/', '.' or '..')")]
    [InlineData("memory/../../x", "is not a plain file name (no '/', '.' or '..')")]
    [InlineData("..", "is not a plain file name (no '/', '.' or '..')")]
    [InlineData("cgroup.procs", "is a cgroup core file the runtime manages itself (cgroup.procs, cgroup.freeze ...), not a limit")]
    [InlineData("devices.allow", "is not a file of a cgroup v2 controller (cpuset, cpu, io, memory, pids, hugetlb, rdma, misc)")]
    [InlineData("memory", "is not a file of a cgroup v2 controller (cpuset, cpu, io, memory, pids, hugetlb, rdma, misc)")]
    public void Unified_names_only_plain_files_of_controllers(string file, string why) =>
        Assert.Equal($"linux.resources.unified \"{file}\" {why}", Problem("{\"unified\": {\"" + file + "\": \"1\"}}"));

    [Theory]
    [InlineData("""{"hugepageLimits": [{"pageSize": "2MB", "limit": 1}]}""", "linux.resources.hugepageLimits is not supported by MiniRun")]
    [InlineData("""{"rdma": {"mlx5_1": {"hcaHandles": 3}}}""", "linux.resources.rdma is not supported by MiniRun")]
    [InlineData("""{"network": {"classID": 1048577}}""", "linux.resources.network is not supported by MiniRun")]
    public void Unimplemented_controllers_stay_refused(string resources, string expected) => Assert.Equal(expected, Problem(resources));

    [Fact]
    public void A_resources_object_alone_is_read_with_its_unread_fields()
    {
        var res = RuntimeSpecReader.ParseResources("""{"memory": {"limit": 1024}, "rdma": {"x": {"hcaObjects": 1}}, "future": {"a": 1}}"""u8, out var unread);
        Assert.Equal(1024, res.Memory!.Limit);
        Assert.Equal(["linux.resources.rdma", "linux.resources.future"], unread);
        Assert.Null(RuntimeSpecReader.ParseResources("null"u8, out _).Memory);
    }
}
