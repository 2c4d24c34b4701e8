// BootRecoveryTests: which containers `minirun boot` starts again after the machine restarted.
using MiniRun.Engine;
using MiniRun.Containers;
using Xunit;

namespace MiniRun.Tests.Boot;

public sealed class BootRecoveryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("minirun-boot-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private ContainerRecord Make(ContainerStore store, string name, string policy, string status, bool manual = false, int retries = 0, int restarts = 0) =>
        store.Create(name, r =>
        {
            r.HostConfig.RestartPolicy = new RestartPolicy { Name = policy, MaximumRetryCount = retries };
            r.State.Status = status;
            r.State.Pid = status == "running" ? 999_999_999 : 0;   // no such process: died with the machine
            r.State.ManuallyStopped = manual;
            r.RestartCount = restarts;
            return r;
        });

    [Fact]
    public void StartsWhatThePolicyAsksForAndMarksTheDeadExited()
    {
        var store = new ContainerStore(_root);
        Make(store, "always-running", "always", "running");
        Make(store, "always-stopped-by-hand", "always", "exited", manual: true);
        Make(store, "unless-running", "unless-stopped", "running");
        Make(store, "unless-stopped-by-hand", "unless-stopped", "exited", manual: true);
        Make(store, "onfail-running", "on-failure", "running", retries: 3, restarts: 1);
        Make(store, "onfail-exhausted", "on-failure", "running", retries: 2, restarts: 2);
        Make(store, "onfail-exited", "on-failure", "exited");
        Make(store, "no-running", "no", "running");

        var started = new List<string>();
        var output = new StringWriter();
        Assert.Equal(0, BootRecovery.Run(_root, id => started.Add(store.Load(id).Name), output));

        Assert.Equal(["always-running", "always-stopped-by-hand", "unless-running", "onfail-running"], started);
        var dead = store.Find("no-running");
        Assert.Equal("exited", dead.State.Status);
        Assert.Equal(255, dead.State.ExitCode);
        Assert.Contains("always-running: started again (restart policy always)", output.ToString());
    }

    [Fact]
    public void AFailedStartIsReportedAndTheRestStillStart()
    {
        var store = new ContainerStore(_root);
        Make(store, "first", "always", "exited");
        Make(store, "second", "always", "exited");
        var started = new List<string>();
        var output = new StringWriter();
        int code = BootRecovery.Run(_root, id =>
        {
            string name = store.Load(id).Name;
            if (name == "first") throw new InvalidOperationException("image gone");
            started.Add(name);
        }, output);
        Assert.Equal(1, code);
        Assert.Equal(["second"], started);
        Assert.Contains("first: start failed: image gone", output.ToString());
    }
}
