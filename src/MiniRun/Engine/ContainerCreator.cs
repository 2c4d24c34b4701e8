// ContainerCreator: the engine's create - makes a container without starting it, the part `run`
// and `create` share.
//
// Why: a container is its directory: the OCI bundle (config.json, overlay directories, /etc
// files), the record (container.json) with Docker's Config and HostConfig (what `inspect` shows),
// and the log path. config.json carries everything a start needs - the resource flags as
// linux.resources, --oom-score-adj as process.oomScoreAdj, the cgroup's place as
// linux.cgroupsPath when the host has cgroup v2 - so every start and restart is the runtime
// core's, from the bundle alone (the core makes the cgroup each time and removes it at the end).
// Volumes and bind mounts (-v, --mount, --volumes-from, the image's VOLUME) are resolved before
// the container exists, written into config.json and mounts.json, and empty volumes are seeded
// with the image's content (Volumes/ContainerMounts.cs, Volumes/VolumeCopyUp.cs).
// `create` stops here; `run` goes on to start it through a supervisor (ContainerRunner).
// The image comes from a resolver the caller gives (the CLI's pulls print progress); a bad
// request is a ContainerException with Docker's exit code, never the CLI's error type.
//
// Follows: docker-create(1); runtime-spec bundle.md; docs/lifecycle.md "Files of one container".
using MiniImage.Store;
using MiniRun.Cgroups;
using MiniRun.Containers;
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Engine;

public sealed record CreatedContainer(ContainerStore Store, ContainerRecord Record, RuntimeSpec Spec, string Bundle);

public static class ContainerCreator
{
    /// <param name="findImage">The image to run, from the store or pulled (--pull): the CLI's ImageAcquisition.</param>
    /// <param name="network">`run` plans the network before its early clone; null: planned here (`create`).</param>
    /// <param name="id">The container's id when the caller chose it already (`run`: its cgroup is named after it), else a fresh one.</param>
    public static CreatedContainer Create(string root, RunOptions o, RestartPolicy restart, ConsoleTrace? trace,
        ResourceLimits limits, CgroupV2Host? cgroupHost, Func<ImageStore, ImageSummary> findImage,
        MiniRun.Network.NetworkPlan? network = null, string? id = null)
    {
        cgroupHost ??= CgroupV2Host.Detect();
        var images = new ImageStore(root);
        LayerTrace.Attach(images, trace, root);   // the first run of a loaded image unpacks its layers: narrated
        var image = findImage(images);
        var config = images.ReadConfig(image);
        // Docker's limit, checked before anything is unpacked or made; config.json then names each
        // layer by its short link (ROOT/l/NAME, MiniImage/Store/LayerLinks.cs), so the mount data fits a page.
        if (config.RootFs.DiffIds.Count > ImageStore.MaxLayers)
            throw new ContainerException(ImageStore.TooManyLayers($"image {image.DisplayName}", config.RootFs.DiffIds.Count));
        var layers = images.ShortLinks(images.PrepareLayers(image, config));

        if (o.Tty && o.ConsoleWidth is null)
        {
            var (rows, cols) = MiniRun.Terminal.TerminalRelay.WindowSize();
            if (rows > 0) { o.ConsoleHeight = rows; o.ConsoleWidth = cols; }
        }

        var health = MiniRun.Health.HealthSettings.Resolve(o.Health, config.Config?.Healthcheck);   // bad flags fail before anything exists
        var labels = LabelFlags.Merge(config.Config?.Labels, o);
        var userns = MiniRun.Security.UsernsRemap.Plan(o.Userns);   // --userns / daemon.json; remap: user and ranges exist
        network ??= MiniRun.Network.ContainerNetwork.Plan(root, o, (ITrace?)trace ?? NullTrace.Instance);   // --network, -p, --dns...
        network = network with { Request = network.Request with { Exposed = config.Config?.ExposedPorts?.Keys.ToList() ?? [] } };
        var containers = new ContainerStore(root);
        // -v, --mount, --volumes-from, the image's VOLUMEs: volumes and -v host directories are made
        // now, bad flags fail before the container exists (Volumes/ContainerMounts.cs).
        var mounts = MiniRun.Volumes.ContainerMounts.Wanted(o, config)
            ? MiniRun.Volumes.ContainerMounts.Resolve(root, o, config, containers,
                userns.Identity is { } remap ? ((uint)remap.Uids.Start, (uint)remap.Gids.Start) : default)
            : MiniRun.Volumes.ContainerMountSet.Empty;
        RuntimeSpec? spec = null;
        ContainerRecord record;
        try
        {
        record = containers.Create(o.Name, r =>
        {
            string dir = containers.DirOf(r.Id);
            spec = SpecGenerator.Generate(config, o, r.Id, layers, dir);
            MiniRun.Security.UsernsRemap.ApplyToSpec(spec, userns);
            MiniRun.Volumes.ContainerMounts.ApplyToSpec(spec, mounts);   // bind mounts of host paths and volumes' _data, tmpfs
            MiniRun.Network.ContainerNetwork.ApplyToSpec(spec, network);   // a new namespace, the host's, or a path to join
            r.Image = o.Image;
            r.ImageId = image.ImageId;
            r.Command = spec.Process.Args;
            r.AutoRemove = o.Rm;
            r.LogPath = Path.Combine(dir, "container.log");
            r.Config = new ContainerRecordConfig
            {
                Hostname = spec.Hostname ?? "",
                User = string.IsNullOrEmpty(o.User) ? config.Config?.User ?? "" : o.User,
                Tty = o.Tty,
                OpenStdin = o.Interactive,
                Env = EnvMerge.Configured(config.Config?.Env, EnvFile.UserEnv(o)),   // Docker's .Config.Env: the user's, then the image's
                Cmd = spec.Process.Args.ToList(),
                Entrypoint = o.Entrypoint is null ? config.Config?.Entrypoint : (o.Entrypoint.Length == 0 ? null : [o.Entrypoint]),
                WorkingDir = spec.Process.Cwd,
                StopSignal = o.StopSignal ?? config.Config?.StopSignal,
                StopTimeout = o.StopTimeout,
                Labels = labels,
                Healthcheck = health,
            };
            r.HostConfig = new ContainerRecordHostConfig
            {
                RestartPolicy = restart, AutoRemove = o.Rm, Init = o.Init, CgroupParent = o.CgroupParent, Resources = o.Resources,
                UsernsMode = userns.Mode,
            };
            MiniRun.Security.SecuritySpec.FillHostConfig(r.HostConfig, o);
            MiniRun.Security.SecurityRecord.Fill(r.HostConfig, o);
            return r;
        }, id);
        }
        catch
        {
            MiniRun.Volumes.ContainerMounts.RemoveAnonymous(root, mounts.Points, exceptContainer: null);   // e.g. the name is taken
            throw;
        }
        string bundle = containers.DirOf(record.Id);
        trace?.Step(Messages.BundleTitle, Messages.BundleWhy);
        try
        {
            foreach (var sub in new[] { "rootfs", "upper", "work" })
                Directory.CreateDirectory(Path.Combine(bundle, sub));
            EtcFiles.WriteAll(bundle, spec!.Hostname!, EtcFiles.ReadHostResolvConf());
            MiniRun.Network.ContainerNetwork.Record(bundle, network);   // network.json: the request; the start attaches it
            // Everything the start needs goes into config.json: the runtime core makes the cgroup
            // from linux.cgroupsPath and linux.resources at each start, and init writes oomScoreAdj.
            spec.Process.OomScoreAdj = limits.OomScoreAdj;
            var devices = spec.Linux.Resources?.Devices;   // the device allow list (Security/DevicePolicy.cs) stays
            if (limits.NeedsCgroupLimits) { spec.Linux.Resources = SpecResourceMap.FromLimits(limits); spec.Linux.Resources.Devices = devices; }
            if (cgroupHost.Usable)
            {
                string relative = CgroupPathOf(record.Id, o.CgroupParent);
                spec.Linux.CgroupsPath = "/" + relative;
                record = StateRecorder.CgroupPath(containers, record.Id, relative);
            }
            else
                trace?.Note(Messages.NoCgroup.With(cgroupHost.Description));
            spec.Save(Path.Combine(bundle, "config.json"));
            MiniRun.Security.UsernsRemap.PrepareBundle(root, bundle, userns);   // what the mapped root must own and reach
            if (mounts.Points.Count > 0)
            {
                MiniRun.Volumes.ContainerMounts.Write(bundle, mounts);   // for inspect, rm -v, volume rm, --volumes-from
                MiniRun.Volumes.ContainerMounts.PrepareForRemap(root, mounts, userns);   // the mapped root must reach the volumes
                foreach (var name in MiniRun.Volumes.VolumeCopyUp.Seed(containers, record.Id, mounts.Points, MiniRun.Security.IdTranslation.Of(spec)))
                    trace?.Note(Messages.VolumeCopiedUp.With(name));
            }
            trace?.Note(Messages.BundleNote.With(bundle));
        }
        catch
        {
            containers.Delete(record);
            MiniRun.Volumes.ContainerMounts.RemoveAnonymous(root, mounts.Points, exceptContainer: null);
            throw;
        }
        return new CreatedContainer(containers, record, spec, bundle);
    }

    /// <summary>
    /// The cgroup the runtime core will make for container <paramref name="id"/> from the config.json
    /// Create writes (linux.cgroupsPath on a cgroup v2 host, else beside the runtime's own cgroup for
    /// the device rules every container has), made now, empty, so that `run` can clone the
    /// container's first process into it before the bundle exists (the core then writes its limits).
    /// Null where no cgroup2 is mounted, or when making it failed: the core makes it at the start
    /// (and reports why it cannot).
    /// </summary>
    public static Cgroup? ReserveCgroup(string id, RunOptions o, CgroupV2Host host, ConsoleTrace? trace)
    {
        if (ReservedCgroupPath(id, o.CgroupParent, host) is not { } relative) return null;
        trace?.Step(Messages.ReserveCgroupTitle, Messages.ReserveCgroupWhy);
        try { return OciCgroup.CreateEmpty(host, relative, trace); }
        catch (Exception e) when (e is KernelException or IOException or ArgumentException) { return null; }
    }

    /// <summary>Where ReserveCgroup makes container <paramref name="id"/>'s cgroup, below the cgroup2 mount; null: nowhere.</summary>
    public static string? ReservedCgroupPath(string id, string? cgroupParent, CgroupV2Host host) =>
        OciCgroup.PathFor(CgroupsPathFor(id, cgroupParent, host), id, host);

    /// <summary>config.json's cgroupsPath: PARENT/ID where the host's cgroup v2 is usable, else none.</summary>
    public static string? CgroupsPathFor(string id, string? parent, CgroupV2Host host) =>
        host.Usable ? CgroupPathOf(id, parent) : null;

    /// <summary>PARENT/ID below the cgroup2 root: --cgroup-parent, else "minirun".</summary>
    private static string CgroupPathOf(string id, string? parent)
    {
        string p = string.IsNullOrEmpty(parent?.Trim('/')) ? Cgroup.DefaultParent : parent!.Trim('/');
        return p + "/" + id;
    }

    /// <summary>Resource flags are checked before anything exists (one line, 125, nothing left behind).</summary>
    public static (ResourceLimits Limits, CgroupV2Host? Host) CheckResources(RunOptions o)
    {
        var limits = HasResourceFlags(o.Resources) ? ResourceFlags.Parse(o.Resources, HostResources.Current()) : new ResourceLimits();
        CgroupV2Host? host = null;
        if (limits.NeedsCgroupLimits)
        {
            host = CgroupV2Host.Detect();
            if (host.MissingFor(limits) is string missing) throw new ContainerException(missing);
        }
        return (limits, host);
    }

    private static bool HasResourceFlags(ResourceFlagValues f) =>
        f.Memory is not null || f.MemoryReservation is not null || f.MemorySwap is not null || f.Cpus is not null ||
        f.CpuPeriod is not null || f.CpuQuota is not null || f.CpuShares is not null || f.CpusetCpus is not null ||
        f.CpusetMems is not null || f.PidsLimit is not null || f.BlkioWeight is not null || f.OomScoreAdj is not null ||
        f.DeviceReadBps.Count + f.DeviceWriteBps.Count + f.DeviceReadIops.Count + f.DeviceWriteIops.Count > 0;
}
