// InspectCommandTests: the container document's shape (Docker's field names), the MiniRun
// section (namespaces next to the host's from a fake /proc, live cgroup limits from a fake
// cgroupfs), -f templates, and the lookup rules (container first, --type, "No such object").
using System.Text.Json;
using MiniRun.Cli;
using MiniRun.Containers;
using MiniRun.Tests.Ps;

namespace MiniRun.Tests.Inspect;

public sealed class InspectCommandTests : IDisposable
{
    private readonly FakeContainers _f = new();
    private string Cgroups => Path.Combine(_f.Dir, "cgroup");
    private InspectHost Host => new(_f.Proc, () => Cgroups);
    public void Dispose() => _f.Dispose();

    private (int Status, string Out, string Err) Inspect(string? format, string? type, params string[] names)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int status = InspectCommand.Run(_f.Root, names, format, type, o, e, Host);
        return (status, o.ToString(), e.ToString());
    }

    private static void Ns(string proc, int pid, string type, string target)
    {
        Directory.CreateDirectory(Path.Combine(proc, pid.ToString(), "ns"));
        File.CreateSymbolicLink(Path.Combine(proc, pid.ToString(), "ns", type), target);
    }

    [Fact]
    public void ExitedContainerHasDockersShape()
    {
        var c = _f.Add("web", ContainerStatus.Exited, 60, exitCode: 137, command: ["sleep", "30"]);
        var (status, output, _) = Inspect(null, null, "web");
        Assert.Equal(0, status);
        var doc = JsonDocument.Parse(output).RootElement;
        Assert.Equal(1, doc.GetArrayLength());
        var d = doc[0];
        string[] keys = ["Id", "Created", "Path", "Args", "State", "Image", "ResolvConfPath", "HostnamePath", "HostsPath", "LogPath",
            "Name", "RestartCount", "Driver", "Platform", "MountLabel", "ProcessLabel", "AppArmorProfile", "ExecIDs", "HostConfig", "GraphDriver", "Mounts", "Config", "NetworkSettings", "MiniRun"];
        Assert.Equal(keys, d.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(c.Id, d.GetProperty("Id").GetString());
        Assert.Equal("/web", d.GetProperty("Name").GetString());
        Assert.Equal("sleep", d.GetProperty("Path").GetString());
        Assert.Equal("30", d.GetProperty("Args")[0].GetString());
        var s = d.GetProperty("State");
        Assert.Equal("exited", s.GetProperty("Status").GetString());
        Assert.False(s.GetProperty("Running").GetBoolean());
        Assert.Equal(137, s.GetProperty("ExitCode").GetInt32());
        Assert.Equal(0, s.GetProperty("Pid").GetInt32());
        Assert.Equal("2024-05-01T11:59:02Z", s.GetProperty("FinishedAt").GetString());
        Assert.False(s.TryGetProperty("Health", out _));
        Assert.Equal("overlay2", d.GetProperty("GraphDriver").GetProperty("Name").GetString());
        Assert.Equal(Path.Combine(_f.Store.DirOf(c.Id), "upper"), d.GetProperty("GraphDriver").GetProperty("Data").GetProperty("UpperDir").GetString());
        Assert.Equal("no", d.GetProperty("HostConfig").GetProperty("RestartPolicy").GetProperty("Name").GetString());
        Assert.Equal(0, d.GetProperty("Mounts").GetArrayLength());
        Assert.Equal(0, d.GetProperty("MiniRun").GetProperty("Namespaces").GetArrayLength());
        Assert.Equal(_f.Store.DirOf(c.Id), d.GetProperty("MiniRun").GetProperty("Bundle").GetString());
        Assert.StartsWith("[\n    {\n        \"Id\": ", output);
    }

    [Fact]
    public void RunningContainerShowsNamespacesNextToTheHostsAndLiveLimits()
    {
        var c = _f.Add("web", ContainerStatus.Running, 60, pid: 300, alive: true);
        _f.Store.Update(c.Id, r => r.State.CgroupPath = "minirun/" + c.Id);
        Ns(_f.Proc, 300, "pid", "pid:[4026532999]");
        Ns(_f.Proc, 300, "net", "net:[4026531840]");
        Ns(_f.Proc, 1, "pid", "pid:[4026531836]");
        Ns(_f.Proc, 1, "net", "net:[4026531840]");
        string cg = Path.Combine(Cgroups, "minirun", c.Id);
        Directory.CreateDirectory(cg);
        File.WriteAllText(Path.Combine(cg, "memory.max"), "104857600\n");
        File.WriteAllText(Path.Combine(cg, "pids.max"), "max\n");

        var d = JsonDocument.Parse(Inspect(null, "container", "web").Out).RootElement[0];
        Assert.Equal(300, d.GetProperty("State").GetProperty("Pid").GetInt32());
        Assert.True(d.GetProperty("State").GetProperty("Running").GetBoolean());
        var ns = d.GetProperty("MiniRun").GetProperty("Namespaces");
        Assert.Equal(2, ns.GetArrayLength());
        Assert.Equal("pid", ns[0].GetProperty("Type").GetString());
        Assert.Equal("pid:[4026532999]", ns[0].GetProperty("Inode").GetString());
        Assert.Equal("pid:[4026531836]", ns[0].GetProperty("Host").GetString());
        Assert.False(ns[0].GetProperty("Shared").GetBoolean());
        Assert.True(ns[1].GetProperty("Shared").GetBoolean());
        var cgroup = d.GetProperty("MiniRun").GetProperty("Cgroup");
        Assert.Equal("/minirun/" + c.Id, cgroup.GetProperty("Path").GetString());
        Assert.Equal("104857600", cgroup.GetProperty("Limits").GetProperty("memory.max").GetString());
        Assert.Equal("max", cgroup.GetProperty("Limits").GetProperty("pids.max").GetString());
    }

    [Fact]
    public void FormatTemplatesWorkForContainers()
    {
        _f.Add("web", ContainerStatus.Running, 60, pid: 300, alive: true);
        Assert.Equal("300\n", Inspect("{{.State.Pid}}", null, "web").Out.Replace("\r", ""));
        Assert.Equal("running /web\n", Inspect("{{.State.Status}} {{.Name}}", null, "web").Out.Replace("\r", ""));
        Assert.Equal("\n", Inspect("{{.NetworkSettings.IPAddress}}", null, "web").Out.Replace("\r", ""));
        Assert.StartsWith("{\"Status\":\"running\",\"Running\":true,", Inspect("{{json .State}}", null, "web").Out);
    }

    [Fact]
    public void UnknownNamesAreReportedLikeDocker()
    {
        _f.Add("web", ContainerStatus.Created, 60);
        var (status, output, err) = Inspect(null, null, "web", "nope");
        Assert.Equal(1, status);
        Assert.Equal(1, JsonDocument.Parse(output).RootElement.GetArrayLength());
        Assert.Equal("Error: No such object: nope\n", err.Replace("\r", ""));
        (status, output, err) = Inspect(null, "image", "web");
        Assert.Equal(1, status);
        Assert.Equal("[]\n", output.Replace("\r", ""));
        Assert.Equal("Error: No such image: web\n", err.Replace("\r", ""));
        Assert.Equal("Error: No such container: busybox\n", Inspect(null, "container", "busybox").Err.Replace("\r", ""));
        Assert.Throws<CliError>(() => Inspect(null, "volume", "web"));
    }

    [Fact]
    public void HealthAppearsInStateWhenPresent()
    {
        var c = _f.Add("web", ContainerStatus.Running, 60, pid: 300, alive: true);
        _f.Store.Update(c.Id, r => r.State.Health = new HealthState
        {
            Status = "healthy",
            Log = [new HealthResult { Start = _f.Now, End = _f.Now.AddMilliseconds(5), ExitCode = 0, Output = "ok" }],
        });
        Assert.Equal("healthy\n", Inspect("{{.State.Health.Status}}", null, "web").Out.Replace("\r", ""));
        var h = JsonDocument.Parse(Inspect(null, null, "web").Out).RootElement[0].GetProperty("State").GetProperty("Health");
        Assert.Equal("healthy", h.GetProperty("Status").GetString());
        Assert.Equal("2024-05-01T12:00:00.005Z", h.GetProperty("Log")[0].GetProperty("End").GetString());
    }
}
