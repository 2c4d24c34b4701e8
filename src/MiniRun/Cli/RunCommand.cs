// RunCommand: `minirun run` = find the image, create the container's bundle, start it, wait.
//
// Why this split: run only prepares an OCI bundle (config.json + the overlay directories +
// /etc files) and hands it to ContainerStarter, which reads nothing but that bundle. The same
// bundle is what the OCI runtime verbs (create/start) will take from engines later.
//
// Steps: resolve the image in the store -> unpack its layers once (shared) -> reserve an id and
// a name -> write the bundle -> clone + init (ContainerStarter) -> relay the terminal, forward
// signals -> wait -> record the exit -> remove with --rm.
//
// Follows: docker-run(1) for flags and exit status; runtime-spec bundle.md.
using MiniImage;
using MiniImage.Store;
using MiniRun.Cgroups;
using MiniRun.Containers;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Spec;
using MiniRun.Terminal;
using MiniRun.Trace;

namespace MiniRun.Cli;

public sealed record TraceMode(bool Enabled, bool Pause)
{
    public static readonly TraceMode Off = new(false, false);

    /// <summary>--trace, --trace=pause, or MINIRUN_TRACE=1|pause.</summary>
    public static TraceMode From(string? flag, bool flagGiven, string? env)
    {
        string? value = flagGiven ? (flag ?? "on") : string.IsNullOrEmpty(env) || env == "0" ? null : env;
        if (value is null) return Off;
        return value switch
        {
            "pause" => new(true, true),
            "on" or "1" or "true" or "" => new(true, false),
            _ => throw new CliError($"invalid --trace value \"{value}\": use --trace or --trace=pause"),
        };
    }
}

public static class RunCommand
{
    public static int Execute(string root, RunOptions o, TraceMode traceMode, string initExecutable = "/proc/self/exe")
    {
        RequireRoot("run");
        var trace = traceMode.Enabled ? new ConsoleTrace(Console.Error, traceMode.Pause) : null;
        // Resource flags are checked before anything exists: a bad value, or a limit this host's
        // cgroups cannot enforce, is a one-line error and nothing is left behind.
        // (Without resource flags there is nothing to check: detection then waits until the
        // container's init is already starting up, see Prepare.)
        var limits = HasResourceFlags(o.Resources) ? ResourceFlags.Parse(o.Resources, HostResources.Current()) : new ResourceLimits();
        CgroupV2Host? cgroupHost = null;
        if (limits.NeedsCgroupLimits)
        {
            cgroupHost = CgroupV2Host.Detect();
            if (cgroupHost.MissingFor(limits) is string missing) throw new CliError(missing);
        }
        using var waiter = new ProcessWaiter();   // catch SIGINT/SIGTERM from now on: they are for the container
        bool connectStdin = o.Interactive && !o.Tty;
        // Without --trace, clone the container's first process before preparing the bundle: its
        // `minirun init` starts up (a few ms of .NET runtime start) while this process resolves
        // the image and writes the bundle, on the other core. It waits for the bundle, reads only
        // that, and is killed if the bundle never comes. With --trace everything runs in reading order.
        ClonedInit? early = trace is null
            ? ContainerStarter.Clone(ContainerStarter.RunFlags, [], connectStdin, initExecutable, null)
            : null;
        try
        {
            return Prepare(root, o, trace, initExecutable, waiter, ref early, limits, cgroupHost);
        }
        finally
        {
            early?.Abort();   // still here: the container was never started
        }
    }

    private static int Prepare(string root, RunOptions o, ConsoleTrace? trace, string initExecutable, ProcessWaiter waiter,
        ref ClonedInit? early, ResourceLimits limits, CgroupV2Host? cgroupHost)
    {
        cgroupHost ??= CgroupV2Host.Detect();
        var images = new ImageStore(root);
        var image = ImageAcquisition.Ensure(images, o.Image, o.Pull);
        var config = images.ReadConfig(image);
        var layers = images.PrepareLayers(image);

        if (o.Tty && o.ConsoleWidth is null)
        {
            var (rows, cols) = TerminalRelay.WindowSize();
            if (rows > 0) { o.ConsoleHeight = rows; o.ConsoleWidth = cols; }
        }

        var containers = new ContainerStore(root);
        RuntimeSpec? spec = null;
        var record = containers.Create(o.Name, r =>
        {
            string dir = containers.DirOf(r.Id);
            spec = SpecGenerator.Generate(config, o, r.Id, layers, dir);
            r.Image = o.Image;
            r.ImageId = image.ImageId;
            r.Command = spec.Process.Args;
            r.AutoRemove = o.Rm;
            return r;
        });
        string bundle = containers.DirOf(record.Id);
        Cgroup? cgroup = null;
        try
        {
            foreach (var sub in new[] { "rootfs", "upper", "work" })
                Directory.CreateDirectory(Path.Combine(bundle, sub));
            EtcFiles.WriteAll(bundle, spec!.Hostname!, EtcFiles.ReadHostResolvConf());
            cgroup = CreateCgroup(cgroupHost, record.Id, o.CgroupParent, limits, trace);
            if (cgroup is not null) spec.Linux.CgroupsPath = "/" + cgroup.RelativePath;
            spec.Save(Path.Combine(bundle, "config.json"));
            trace?.Note($"bundle {bundle}: config.json is the OCI runtime spec this container is made from");
        }
        catch
        {
            RemoveCgroup(cgroup);
            containers.Delete(record);
            throw;
        }
        var init = early;
        early = null;   // handed over: from here on StartAndWait owns (and reaps) it
        try
        {
            return StartAndWait(containers, record, spec, bundle, o, trace, initExecutable, waiter, init, pid =>
            {
                cgroup?.AddProcess(pid);
                if (limits.OomScoreAdj is int adj)
                    File.WriteAllText($"/proc/{pid}/oom_score_adj", adj.ToString());
            });
        }
        finally
        {
            RemoveCgroup(cgroup);   // when the container is gone, so is its cgroup
        }
    }

    private static bool HasResourceFlags(ResourceFlagValues f) =>
        f.Memory is not null || f.MemoryReservation is not null || f.MemorySwap is not null || f.Cpus is not null ||
        f.CpuPeriod is not null || f.CpuQuota is not null || f.CpuShares is not null || f.CpusetCpus is not null ||
        f.CpusetMems is not null || f.PidsLimit is not null || f.BlkioWeight is not null || f.OomScoreAdj is not null ||
        f.DeviceReadBps.Count + f.DeviceWriteBps.Count + f.DeviceReadIops.Count + f.DeviceWriteIops.Count > 0;

    /// <summary>The container's own cgroup, when this host has a usable cgroup v2; otherwise none (said under --trace).</summary>
    private static Cgroup? CreateCgroup(CgroupV2Host host, string id, string? parent, ResourceLimits limits, ConsoleTrace? trace)
    {
        if (!host.Usable)
        {
            trace?.Note($"no cgroup for this container: {host.Description}; it runs without resource limits");
            return null;
        }
        string[] wanted = ["cpu", "cpuset", "io", "memory", "pids"];
        var cgroup = Cgroup.Create(host.MountPoint!, id, wanted.Where(host.Has), parent ?? Cgroup.DefaultParent, trace: trace);
        try
        {
            cgroup.Apply(limits);
        }
        catch
        {
            RemoveCgroup(cgroup);
            throw;
        }
        return cgroup;
    }

    private static void RemoveCgroup(Cgroup? cgroup)
    {
        if (cgroup is null) return;
        try
        {
            cgroup.Kill();
            cgroup.Remove();
        }
        catch (KernelException e)
        {
            Console.Error.WriteLine($"minirun: remove cgroup {cgroup.Path}: {e.Message}");
        }
    }

    private static int StartAndWait(ContainerStore containers, ContainerRecord record, RuntimeSpec spec, string bundle,
        RunOptions o, ConsoleTrace? trace, string initExecutable, ProcessWaiter waiter, ClonedInit? init, Action<int> placeInCgroup)
    {
        StartResult started;
        try
        {
            var request = new StartRequest(bundle, spec, initExecutable, ConnectStdin: o.Interactive && !o.Tty, trace, PlaceInCgroup: placeInCgroup);
            started = init is null ? ContainerStarter.Start(request) : ContainerStarter.Start(init, request);
        }
        catch
        {
            init?.Abort();
            Finish(containers, record, "created", 125, "start failed");
            throw;
        }
        waiter.Attach(started.Pid);
        if (started.FailureCode is int code)
        {
            if (started.TerminalMaster >= 0) Libc.close(started.TerminalMaster);
            waiter.Wait();   // reap init, which exits right after reporting
            Finish(containers, record, "created", code, started.FailureMessage);
            throw new CliError(started.FailureMessage ?? "start failed", code);
        }
        record.State.Status = "running";
        record.State.Pid = started.Pid;
        record.State.PidStartTime = ProcStat.StartTime(started.Pid) ?? 0;
        record.State.StartedAt = DateTimeOffset.UtcNow;
        containers.Save(record);

        TerminalRelay? relay = null;
        if (started.TerminalMaster >= 0)
        {
            relay = new TerminalRelay(started.TerminalMaster, copyStdin: o.Interactive);
            relay.Start();
        }
        int status;
        try
        {
            status = waiter.Wait();
        }
        finally
        {
            relay?.WaitForOutput(TimeSpan.FromSeconds(2));
            relay?.Dispose();
            if (started.TerminalMaster >= 0) Libc.close(started.TerminalMaster);
        }
        Finish(containers, record, "stopped", status, null);
        return status;
    }

    private static void Finish(ContainerStore containers, ContainerRecord record, string status, int exitCode, string? error)
    {
        if (record.AutoRemove)
        {
            containers.Delete(record);
            return;
        }
        record.State.Status = status;
        record.State.ExitCode = exitCode;
        record.State.Error = error;
        record.State.FinishedAt = DateTimeOffset.UtcNow;
        containers.Save(record);
    }

    /// <summary>"busybox" -> "busybox:latest", as Docker's "Unable to find image" line shows it.</summary>
    public static string DisplayReference(string image) =>
        image.Contains('@') || image.LastIndexOf(':') > image.LastIndexOf('/') ? image : image + ":latest";

    public static void RequireRoot(string command)
    {
        if (Libc.geteuid() != 0)
            throw new CliError($"{command} needs root: it creates namespaces, mounts and device nodes (try sudo; rootless mode with user namespaces is not implemented yet)");
    }
}
