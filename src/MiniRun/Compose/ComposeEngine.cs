// ComposeEngine: the project's verbs - up, down, start, stop, restart, kill, rm, build, pull,
// run - on top of the engine's own functions: NetworkCommands.Create/Remove for the project's
// networks, VolumeStore for its volumes, the Builder for `build:`, and for every container
// ContainerCreator.Create (the path `create` and `run` take, from the RunOptions the service maps
// to) then ContainerLifecycle.Start/Stop/Remove. No minirun process is spawned for a step.
//
// Why: a compose project is only names and labels over ordinary MiniRun objects: the network
// `<project>_default`, volumes `<project>_<name>`, containers `<project>-<service>-1` carrying
// com.docker.compose.project/service/container-number/config-hash. Everything the engine finds
// again by those labels, so `down` removes what an earlier (even failed) `up` made, and `up`
// recreates only a service whose config hash or image changed. Services start in depends_on
// order; a service_healthy dependency is waited for (its health status, until healthy, unhealthy
// or its time is up), a service_completed_successfully one until it exited with 0. A failure is
// one line; what was made before stays labelled, so `down` removes it completely.
//
// Follows: docker compose v2's reference (up, down, start, stop, restart, kill, rm, build, pull, run)
// and its convergence rules (recreate on config-hash or image change, --force-recreate, --no-deps).
using MiniImage.Store;
using MiniRun.Containers;
using MiniRun.Engine;
using MiniRun.Network;
using MiniRun.Volumes;

namespace MiniRun.Compose;

public sealed record ComposeUpOptions(IReadOnlyList<string> Services, bool Build, bool ForceRecreate, bool NoDeps, bool NoStart = false,
    bool NoBuild = false, string? Pull = null, int? Timeout = null);

public sealed class ComposeEngine
{
    private readonly string _root;
    private readonly ComposeProject _p;
    private readonly TextWriter _err;
    private readonly Func<ImageStore, string, string, ImageSummary> _acquire;
    private readonly ContainerStore _store;

    /// <param name="acquire">The image by reference and pull policy (the CLI's ImageAcquisition: prints the pull).</param>
    public ComposeEngine(string root, ComposeProject project, TextWriter err, Func<ImageStore, string, string, ImageSummary> acquire)
    {
        _root = Path.GetFullPath(root);
        _p = project;
        _err = err;
        _acquire = acquire;
        _store = new ContainerStore(_root);
    }

    public ComposeProject Project => _p;

    // ---- what belongs to the project ----

    /// <summary>The project's containers (one-off `run` containers left out unless asked), by label.</summary>
    public List<ContainerRecord> Containers(bool oneOff = false) =>
        _store.List().Where(c => c.Config.Labels.GetValueOrDefault(ComposeLabels.Project) == _p.Name &&
            (oneOff || c.Config.Labels.GetValueOrDefault(ComposeLabels.OneOff) != "True")).ToList();

    public ContainerRecord? ContainerOf(string service) =>
        Containers().FirstOrDefault(c => c.Config.Labels.GetValueOrDefault(ComposeLabels.Service) == service);

    public static string ServiceOf(ContainerRecord c) => c.Config.Labels.GetValueOrDefault(ComposeLabels.Service) ?? "";

    /// <summary>Containers of the named services (all when none named), in start order.</summary>
    public List<ContainerRecord> ContainersOf(IReadOnlyList<string> services, bool reverse = false)
    {
        foreach (var s in services) _p.Service(s);   // unknown names fail
        var order = _p.Services.Select(s => s.Name).ToList();
        try { order = ComposeOrder.Sort(_p, _p.Services).Select(s => s.Name).ToList(); } catch (ComposeException) { }
        var list = Containers().Where(c => services.Count == 0 || services.Contains(ServiceOf(c)))
            .OrderBy(c => order.IndexOf(ServiceOf(c)) is var i && i < 0 ? int.MaxValue : i).ToList();
        if (reverse) list.Reverse();
        return list;
    }

    // ---- build and pull ----

    /// <summary>Builds the image of each service with `build:` (all selected, or only those whose image is missing or whose pull_policy is build).</summary>
    public void BuildImages(IEnumerable<ComposeService> services, bool onlyMissing, TextWriter buildOutput, bool noCache = false, bool pull = false)
    {
        var images = new ImageStore(_root);
        foreach (var s in services.Where(s => s.Build is not null))
        {
            string image = s.ImageName(_p.Name);
            // pull_policy: build builds on every up, as --build does for all (Compose: "builds the image, rebuilds it if present").
            if (onlyMissing && s.PullPolicy != "build" && images.Resolve(image) is not null) continue;
            var b = s.Build!;
            var options = new MiniRun.Build.BuildOptions
            {
                Context = b.Context, Dockerfile = b.Dockerfile is null ? null : Path.GetFullPath(b.Dockerfile, b.Context), Tags = [image],
                BuildArgs = b.Args, Target = b.Target, NoCache = noCache || b.NoCache, Pull = pull || b.Pull,
                Labels = [.. b.Labels, new(ComposeLabels.Project, _p.Name), new(ComposeLabels.Service, s.Name)], Network = b.Network,
            };
            try
            {
                using var builder = new MiniRun.Build.Builder(_root, options, buildOutput,
                    (store, reference, always, _) => _acquire(store, reference, always ? "always" : "missing"));   // compose prints pulls its own way
                builder.Build();
            }
            catch (Exception e) when (e is MiniRun.Build.BuildException or MiniImage.MiniImageException or ContainerException or IOException)
            {
                throw new ComposeException($"failed to build service {GoQuote.Quote(s.Name)}: {e.Message}");
            }
            var progress = new ComposeProgress(_err, "Building");
            progress.Done("Service", s.Name, "Built");
            progress.Flush();
        }
    }

    /// <summary>`pull`: each service with an image: pulled (always); built-only services are skipped.</summary>
    public void Pull(IEnumerable<ComposeService> services, bool ignoreFailures)
    {
        var progress = new ComposeProgress(_err, "Pulling");
        var images = new ImageStore(_root);
        try
        {
            foreach (var s in services)
            {
                if (s.Image is null || s.PullPolicy is "never" or "build") continue;
                if (s.Build is not null && s.PullPolicy != "always" && images.Resolve(s.Image) is null) continue;   // built here
                // docker compose v2 names the service on a pull's line (" ✔ db Pulled"), not the image
                try { _acquire(images, s.Image, "always"); progress.Done("", s.Name, "Pulled"); }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Its line says it failed; without --ignore-pull-failures the error ends the command (after the lines).
                    progress.Failed("", s.Name, ignoreFailures ? e.Message : "Error");
                    if (!ignoreFailures) throw;
                }
            }
        }
        finally { progress.Flush(); }
    }

    // ---- up ----

    public List<ContainerRecord> Up(ComposeUpOptions o, TextWriter buildOutput)
    {
        var selected = ComposeOrder.Select(_p, o.Services, o.NoDeps);
        foreach (var w in _p.Warnings) _err.WriteLine($"WARN[0000] {w}");
        // Images first: a build or pull failing leaves nothing made.
        if (!o.NoBuild) BuildImages(selected, onlyMissing: !o.Build, buildOutput);
        var images = new ImageStore(_root);
        var imageIds = new Dictionary<string, string>();
        foreach (var s in selected)
        {
            string image = s.ImageName(_p.Name);
            string policy = o.Pull ?? (s.Build is not null ? "never" : s.Options.Pull);
            if (s.Build is not null && o.NoBuild && images.Resolve(image) is null)
                throw new ComposeException($"image {image} for service {GoQuote.Quote(s.Name)} is missing and --no-build was given");
            imageIds[s.Name] = _acquire(images, image, policy).ImageId;
        }
        var progress = new ComposeProgress(_err, "Running");
        var started = new List<ContainerRecord>();
        try
        {
            EnsureNetworks(selected, progress);
            EnsureVolumes(selected, progress);
            foreach (var s in selected)
            {
                WaitForDependencies(s, selected, progress);
                var c = Converge(s, imageIds[s.Name], o, progress);
                if (c is not null) started.Add(c);
            }
        }
        catch (Exception e) when (e is ComposeException or ContainerException or NetworkException or MiniRun.Spec.RunConfigException
            or MiniRun.Runtime.RuntimeException or MiniRun.Kernel.KernelException or IOException or ContainerNotFoundException
            or MiniImage.MiniImageException)
        {
            progress.Flush();
            throw e as ComposeException ?? new ComposeException(DaemonError.Text(e));
        }
        progress.Flush();
        return started;
    }

    /// <summary>`compose run`: the service's image (built or pulled), networks and volumes; the container is made by `run`'s path.</summary>
    public void PrepareForRun(ComposeService s, TextWriter buildOutput)
    {
        BuildImages([s], onlyMissing: true, buildOutput);
        _acquire(new ImageStore(_root), s.ImageName(_p.Name), s.Build is not null ? "never" : s.Options.Pull);
        var progress = new ComposeProgress(_err, "Running");
        try
        {
            EnsureNetworks([s], progress);
            EnsureVolumes([s], progress);
        }
        finally { progress.Flush(); }
    }

    private void EnsureNetworks(IEnumerable<ComposeService> services, ComposeProgress progress)
    {
        var store = new NetworkStore(_root);
        foreach (var key in services.SelectMany(s => s.Networks).Select(n => n.Key).Distinct())
        {
            var net = _p.Networks[key];
            if (store.Find(net.Name) is { } found)
            {
                if (!net.External && found.Labels.GetValueOrDefault(ComposeLabels.Project) is { } owner && owner != _p.Name)
                    _err.WriteLine($"WARN[0000] a network with name {net.Name} exists but was not created for project \"{_p.Name}\"");
                continue;
            }
            if (net.External)
                throw new ComposeException($"network {net.Name} declared as external, but could not be found");
            NetworkCommands.Create(_root, net.Name, net.Driver, net.Subnet, net.Gateway, net.Internal, net.Labels);
            progress.Done("Network", net.Name, "Created");
        }
    }

    private void EnsureVolumes(IEnumerable<ComposeService> services, ComposeProgress progress)
    {
        var store = new VolumeStore(_root);
        foreach (var key in services.SelectMany(s => s.VolumeKeys).Distinct())
        {
            var vol = _p.Volumes[key];
            if (store.Find(vol.Name) is not null) continue;
            if (vol.External)
                throw new ComposeException($"external volume {GoQuote.Quote(vol.Name)} not found");
            store.Ensure(vol.Name, vol.Labels, vol.Options, vol.Driver);
            progress.Done("Volume", $"\"{vol.Name}\"", "Created");
        }
    }

    /// <summary>Creates, recreates or starts the service's container as needed; null with no-start.</summary>
    private ContainerRecord? Converge(ComposeService s, string imageId, ComposeUpOptions o, ComposeProgress progress)
    {
        var existing = ContainerOf(s.Name);
        string name = s.ContainerNameIn(_p.Name);
        if (existing is not null)
        {
            bool changed = o.ForceRecreate || existing.Config.Labels.GetValueOrDefault(ComposeLabels.ConfigHash) != s.ConfigHash ||
                existing.ImageId != imageId;
            if (!changed)
            {
                if (o.NoStart) return existing;
                if (ContainerLiveness.IsRunning(existing)) { progress.Done("Container", existing.Name, "Running"); return existing; }
                StartOne(existing, progress);
                return _store.Load(existing.Id);
            }
            ContainerLifecycle.Stop(_store, _store.Load(existing.Id), o.Timeout);
            ContainerLifecycle.Remove(_store, _store.Load(existing.Id), force: true);
            var recreated = Create(s);
            progress.Done("Container", name, "Recreated");
            if (o.NoStart) return recreated;
            StartOne(recreated, progress);
            return _store.Load(recreated.Id);
        }
        var created = Create(s);
        progress.Done("Container", name, "Created");
        if (o.NoStart) return created;
        StartOne(created, progress);
        return _store.Load(created.Id);
    }

    /// <summary>The container for service <paramref name="s"/>, by the engine's create path; its other networks connected before it starts.</summary>
    public ContainerRecord Create(ComposeService s, MiniRun.Spec.RunOptions? options = null)
    {
        var o = options ?? ComposeServiceMapper.ForContainer(_p, s, s.ImageName(_p.Name));
        var restart = MiniRun.Supervisor.RestartRules.Parse(options?.Rm == true ? "no" : s.Restart);
        var (limits, host) = ContainerCreator.CheckResources(o);
        var created = ContainerCreator.Create(_root, o, restart, null, limits, host, images => _acquire(images, o.Image, "never"));
        foreach (var extra in s.NetworkMode is null ? s.Networks.Skip(1) : [])
            NetworkCommands.Connect(_root, _p.Networks[extra.Key].Name, created.Record.Id, options?.Rm == true ? [] : [s.Name, .. extra.Aliases], extra.Ipv4);
        return created.Record;
    }

    private void StartOne(ContainerRecord c, ComposeProgress progress)
    {
        try { ContainerLifecycle.Start(_root, _store, _store.Load(c.Id)); }
        catch (ContainerException e)
        {
            progress.Failed("Container", c.Name, "Error");
            throw new ComposeException($"{DaemonError.Prefix}failed to start container {c.Name}: {e.Message}");
        }
        progress.Done("Container", c.Name, "Started");
    }

    private void WaitForDependencies(ComposeService s, List<ComposeService> selected, ComposeProgress progress)
    {
        foreach (var d in s.DependsOn)
        {
            if (!selected.Any(x => x.Name == d.Service) || d.Condition == "service_started") continue;
            var dep = ContainerOf(d.Service);
            if (dep is null)
            {
                if (!d.Required) continue;
                throw new ComposeException($"dependency failed to start: service {GoQuote.Quote(d.Service)} has no container");
            }
            if (d.Condition == "service_healthy") WaitHealthy(dep, progress);
            else WaitCompleted(dep, d.Service, progress);
        }
    }

    /// <summary>Until the dependency's health status is healthy; unhealthy, an exit or the time running out is an error naming it.</summary>
    private void WaitHealthy(ContainerRecord dep, ComposeProgress progress)
    {
        var config = dep.Config.Healthcheck ?? throw new ComposeException($"dependency failed to start: container {dep.Name} has no healthcheck configured");
        // As long as the check itself can take to call it unhealthy, plus a margin.
        var limit = TimeSpan.FromTicks((config.StartPeriod + (config.Interval + config.Timeout) * (config.Retries + 1)) / 100) + TimeSpan.FromSeconds(30);
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var c = _store.Load(dep.Id);
            string? health = c.State.Health?.Status;
            if (health == "healthy") { progress.Done("Container", dep.Name, "Healthy"); return; }
            if (health == "unhealthy")
            {
                progress.Failed("Container", dep.Name, "Error");
                throw new ComposeException($"dependency failed to start: container {dep.Name} is unhealthy");
            }
            if (!ContainerLiveness.IsRunning(c) && !ContainerLiveness.HasSupervisor(c))
            {
                progress.Failed("Container", dep.Name, "Error");
                throw new ComposeException($"dependency failed to start: container {dep.Name} exited ({c.State.ExitCode})");
            }
            if (DateTime.UtcNow > deadline)
            {
                progress.Failed("Container", dep.Name, "Error");
                throw new ComposeException($"dependency failed to start: container {dep.Name} did not become healthy within {(int)limit.TotalSeconds}s");
            }
            Thread.Sleep(200);
        }
    }

    private void WaitCompleted(ContainerRecord dep, string service, ComposeProgress progress)
    {
        int code = ContainerLifecycle.Wait(_store, _store.Load(dep.Id));
        if (code != 0)
        {
            progress.Failed("Container", dep.Name, "Error");
            throw new ComposeException($"service {GoQuote.Quote(service)} didn't complete successfully: exit {code}");
        }
        progress.Done("Container", dep.Name, "Exited");
    }

    // ---- down and the container verbs ----

    /// <summary>`down`: containers (reverse order), then the project's networks, with -v its volumes (named and anonymous).</summary>
    public void Down(bool volumes, int? timeout, Action<IReadOnlyList<string>>? removeImages = null, string? rmi = null)
    {
        var progress = new ComposeProgress(_err, "Running");
        var images = new HashSet<string>();
        try
        {
            foreach (var c in ContainersOf([], reverse: true).Concat(Containers(oneOff: true).Where(c => c.Config.Labels.GetValueOrDefault(ComposeLabels.OneOff) == "True")))
            {
                images.Add(c.Image);
                var latest = _store.Load(c.Id);
                if (ContainerLiveness.IsRunning(latest) || ContainerLiveness.HasSupervisor(latest))
                    ContainerLifecycle.Stop(_store, latest, timeout);
                ContainerLifecycle.Remove(_store, _store.Load(c.Id), force: true, volumes: volumes);
                progress.Done("Container", c.Name, "Removed");
            }
            var networks = new NetworkStore(_root).List().Where(n => n.Labels.GetValueOrDefault(ComposeLabels.Project) == _p.Name).Select(n => n.Name).ToList();
            var errors = NetworkCommands.Remove(_root, networks, name => progress.Done("Network", name, "Removed"));
            if (errors.Count > 0) throw new ComposeException(DaemonError.Text(errors[0]));
            if (volumes)
                foreach (var v in new VolumeStore(_root).List().Where(v => v.Labels.GetValueOrDefault(ComposeLabels.Project) == _p.Name))
                {
                    VolumeCommands.Remove(_root, v.Name, force: true);
                    progress.Done("Volume", v.Name, "Removed");
                }
            if (rmi is not null && removeImages is not null)
            {
                var wanted = rmi == "all"
                    ? _p.Services.Select(s => s.ImageName(_p.Name)).Concat(images)
                    : _p.Services.Where(s => s.Image is null).Select(s => s.ImageName(_p.Name));
                var present = wanted.Distinct().Where(i => new ImageStore(_root).Resolve(i) is not null).ToList();
                removeImages(present);
                foreach (var i in present) progress.Done("Image", i, "Removed");
            }
        }
        finally { progress.Flush(); }
    }

    /// <summary>Runs <paramref name="each"/> on the containers of the named services; one progress screen with <paramref name="title"/>.</summary>
    public void Each(IReadOnlyList<string> services, bool reverse, string title, string status, Func<ContainerRecord, bool> each)
    {
        var progress = new ComposeProgress(_err, title);
        try
        {
            foreach (var c in ContainersOf(services, reverse))
                if (each(_store.Load(c.Id))) progress.Done("Container", c.Name, status);
        }
        catch (ContainerException e) { throw new ComposeException(DaemonError.Text(e)); }
        finally { progress.Flush(); }
    }

    public void Stop(IReadOnlyList<string> services, int? timeout) => Each(services, true, "Stopping", "Stopped", c =>
    {
        ContainerLifecycle.Stop(_store, c, timeout);
        return true;
    });

    public void Start(IReadOnlyList<string> services)
    {
        if (ContainersOf(services).Count == 0) throw new ComposeException("service(s) have no container to start: run `compose up` first");
        var progress = new ComposeProgress(_err, "Running");
        try
        {
            foreach (var c in ContainersOf(services))
            {
                var latest = _store.Load(c.Id);
                if (ContainerLifecycle.NeedsStart(latest)) StartOne(latest, progress);
                else progress.Done("Container", c.Name, "Running");
            }
        }
        finally { progress.Flush(); }
    }

    public void Restart(IReadOnlyList<string> services, int? timeout) => Each(services, false, "Restarting", "Started", c =>
    {
        ContainerLifecycle.Restart(_root, _store, c, timeout);
        return true;
    });

    public void Kill(IReadOnlyList<string> services, int signal) => Each(services, true, "Killing", "Killed", c =>
    {
        if (!ContainerLiveness.IsRunning(c)) return false;
        ContainerLifecycle.Kill(_store, c, c.Name, signal);
        return true;
    });

    /// <summary>`rm`: stopped containers (running ones too with stop/force).</summary>
    public void Remove(IReadOnlyList<string> services, bool stopFirst, bool volumes) => Each(services, true, "Removing", "Removed", c =>
    {
        if (ContainerLiveness.IsRunning(c))
        {
            if (!stopFirst) return false;
            ContainerLifecycle.Stop(_store, c, null);
        }
        ContainerLifecycle.Remove(_store, _store.Load(c.Id), force: true, volumes: volumes);
        return true;
    });
}
