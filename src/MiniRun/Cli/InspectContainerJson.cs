// InspectContainerJson: the JSON document `inspect` prints for one container, shaped like
// Docker's (field names and order of GET /containers/{id}/json), plus a "MiniRun" section.
//
// Why: students and scripts read `docker inspect` output and `-f '{{.State.Pid}}'` paths; the
// same names must work here. The MiniRun section shows what a container is made of: each
// namespace of its PID 1 with its inode next to the host's (only while it runs), its cgroup with
// the limits read live, its user namespace maps (Security/UsernsInspect.cs) and its confinement -
// capabilities, seccomp mode, no_new_privs, AppArmor label - next to the host's PID 1's
// (Security/ConfinementInspect.cs), and its bundle directory. GraphDriver shows the overlay directories
// (lower layers top-most first, as overlayfs's lowerdir lists them). Mounts, HostConfig.Binds,
// HostConfig.Mounts, HostConfig.VolumesFrom and Config.Volumes come from the container's
// mounts.json (Volumes/ContainerMounts.cs). Written with Utf8JsonWriter
// (NativeAOT: no reflection). Times are Go's RFC3339Nano in UTC, "0001-01-01T00:00:00Z" unset.
//
// Follows: Docker Engine API "ContainerInspectResponse"; namespaces(7); cgroup-v2.rst; proc(5).
using System.Globalization;
using System.Text.Json;
using MiniRun.Cgroups;
using MiniRun.Containers;
using MiniRun.Spec;

namespace MiniRun.Cli;

/// <summary>Where inspect reads the live kernel state: /proc and the cgroup2 mount (tests pass fakes).</summary>
public sealed record InspectHost(string ProcRoot, Func<string?> CgroupMount)
{
    public static InspectHost Real { get; } = new("/proc", () => CgroupV2Host.Detect().MountPoint);
}

public static class InspectContainerJson
{
    public static void Write(Utf8JsonWriter w, ContainerRecord c, string bundle, InspectHost host)
    {
        RuntimeSpec? spec = null;
        try { if (File.Exists(Path.Combine(bundle, "config.json"))) spec = RuntimeSpec.Load(Path.Combine(bundle, "config.json")); }
        catch (Exception e) when (e is IOException or JsonException or InvalidDataException) { }

        string status = ContainerLiveness.Effective(c, host.ProcRoot);
        bool up = PsState.IsUp(status);
        MiniRun.Network.ContainerNetworkState? net = null;
        try { net = MiniRun.Network.ContainerNetworkFile.Read(bundle); }
        catch (MiniRun.Network.NetworkException) { }
        var args = c.Command.Count > 0 ? c.Command : c.Config.Cmd;
        var mounts = MiniRun.Volumes.ContainerMountSet.Empty;
        try { mounts = MiniRun.Volumes.ContainerMounts.Read(bundle); }
        catch (ContainerException) { }

        w.WriteStartObject();
        w.WriteString("Id", c.Id);
        w.WriteString("Created", ImageInspect.GoTime(c.Created));
        w.WriteString("Path", args.Count > 0 ? args[0] : "");
        StringArray(w, "Args", args.Skip(1));
        State(w, c, status, up);
        w.WriteString("Image", c.ImageId);
        w.WriteString("ResolvConfPath", Path.Combine(bundle, "resolv.conf"));
        w.WriteString("HostnamePath", Path.Combine(bundle, "hostname"));
        w.WriteString("HostsPath", Path.Combine(bundle, "hosts"));
        w.WriteString("LogPath", c.LogPath);
        w.WriteString("Name", "/" + c.Name);
        w.WriteNumber("RestartCount", c.RestartCount);
        w.WriteString("Driver", "overlay2");
        w.WriteString("Platform", "linux");
        w.WriteString("MountLabel", "");     // SELinux labels: MiniRun sets none (a spec's selinuxLabel is refused by the core)
        w.WriteString("ProcessLabel", "");
        w.WriteString("AppArmorProfile", spec?.Process.ApparmorProfile ?? "");   // "": none (no AppArmor on the host, or unconfined)
        w.WriteNull("ExecIDs");   // Docker lists its running exec instances; MiniRun keeps none (exec runs in the calling minirun)
        HostConfig(w, c, net, mounts);
        GraphDriver(w, spec, bundle);
        Mounts(w, mounts);
        Config(w, c, spec, args, mounts);
        NetworkSettings(w, net, up, c.Id);
        MiniRunSection(w, c, bundle, up, host, spec);
        w.WriteEndObject();
    }

    private static void State(Utf8JsonWriter w, ContainerRecord c, string status, bool up)
    {
        var s = c.State;
        w.WriteStartObject("State");
        w.WriteString("Status", status);
        w.WriteBoolean("Running", up);
        w.WriteBoolean("Paused", status == ContainerStatus.Paused);
        w.WriteBoolean("Restarting", status == ContainerStatus.Restarting);
        w.WriteBoolean("OOMKilled", s.OOMKilled);
        w.WriteBoolean("Dead", status == ContainerStatus.Dead);
        w.WriteNumber("Pid", up ? s.Pid : 0);
        w.WriteNumber("ExitCode", s.ExitCode);
        w.WriteString("Error", s.Error ?? "");
        w.WriteString("StartedAt", ImageInspect.GoTime(s.StartedAt));
        w.WriteString("FinishedAt", ImageInspect.GoTime(s.FinishedAt));
        if (s.Health is { } h)
        {
            w.WriteStartObject("Health");
            w.WriteString("Status", h.Status);
            w.WriteNumber("FailingStreak", h.FailingStreak);
            w.WriteStartArray("Log");
            foreach (var r in h.Log)
            {
                w.WriteStartObject();
                w.WriteString("Start", ImageInspect.GoTime(r.Start));
                w.WriteString("End", ImageInspect.GoTime(r.End));
                w.WriteNumber("ExitCode", r.ExitCode);
                w.WriteString("Output", r.Output);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void HostConfig(Utf8JsonWriter w, ContainerRecord c, MiniRun.Network.ContainerNetworkState? net,
        MiniRun.Volumes.ContainerMountSet mounts)
    {
        var h = c.HostConfig;
        var r = h.Resources;
        w.WriteStartObject("HostConfig");
        if (mounts.Binds.Count == 0) w.WriteNull("Binds"); else StringArray(w, "Binds", mounts.Binds);
        w.WriteString("ContainerIDFile", "");
        w.WriteStartObject("LogConfig");
        w.WriteString("Type", "json-file");
        w.WriteStartObject("Config");
        w.WriteEndObject();
        w.WriteEndObject();
        var request = net?.Request ?? new MiniRun.Network.NetworkRequest { Mode = "none" };   // older containers: none
        w.WriteString("NetworkMode", request.Mode);
        w.WriteStartObject("PortBindings");
        foreach (var group in request.Publish.GroupBy(b => $"{b.ContainerPort}/{b.Protocol}"))
        {
            w.WriteStartArray(group.Key);
            foreach (var b in group)
            {
                w.WriteStartObject();
                w.WriteString("HostIp", b.HostIp);
                w.WriteString("HostPort", b.HostPortFirst == 0 ? "" : b.HostPortFirst == b.HostPortLast ? $"{b.HostPortFirst}" : $"{b.HostPortFirst}-{b.HostPortLast}");
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
        w.WriteBoolean("PublishAllPorts", request.PublishAll);
        StringArray(w, "Dns", request.Dns);
        StringArray(w, "DnsOptions", request.DnsOptions);
        StringArray(w, "DnsSearch", request.DnsSearch);
        StringArray(w, "ExtraHosts", request.ExtraHosts);
        w.WriteStartObject("RestartPolicy");
        w.WriteString("Name", h.RestartPolicy.Name);
        w.WriteNumber("MaximumRetryCount", h.RestartPolicy.MaximumRetryCount);
        w.WriteEndObject();
        w.WriteBoolean("AutoRemove", h.AutoRemove || c.AutoRemove);
        w.WriteString("VolumeDriver", "");
        if (mounts.VolumesFrom.Count == 0) w.WriteNull("VolumesFrom"); else StringArray(w, "VolumesFrom", mounts.VolumesFrom);
        w.WriteBoolean("Init", h.Init);
        w.WriteString("CgroupParent", h.CgroupParent ?? "");
        w.WriteString("UsernsMode", h.UsernsMode);
        MiniRun.Security.SecurityRecord.Write(w, h);
        w.WriteNumber("Memory", Bytes(r.Memory));
        w.WriteNumber("MemoryReservation", Bytes(r.MemoryReservation));
        w.WriteNumber("MemorySwap", r.MemorySwap == "-1" ? -1 : Bytes(r.MemorySwap));
        w.WriteNumber("NanoCpus", decimal.TryParse(r.Cpus, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var cpus) ? (long)(cpus * 1_000_000_000m) : 0);
        w.WriteNumber("CpuShares", Long(r.CpuShares));
        w.WriteNumber("CpuPeriod", Long(r.CpuPeriod));
        w.WriteNumber("CpuQuota", Long(r.CpuQuota));
        w.WriteString("CpusetCpus", r.CpusetCpus ?? "");
        w.WriteString("CpusetMems", r.CpusetMems ?? "");
        if (r.PidsLimit is null) w.WriteNull("PidsLimit"); else w.WriteNumber("PidsLimit", Long(r.PidsLimit));
        w.WriteNumber("BlkioWeight", Long(r.BlkioWeight));
        w.WriteNumber("OomScoreAdj", Long(r.OomScoreAdj));
        MiniRun.Security.SecurityHostConfigJson.Write(w, h);
        if (mounts.Mounts.Count > 0) HostConfigMounts(w, mounts.Mounts);   // Docker omits it when empty
        w.WriteEndObject();
    }

    /// <summary>HostConfig.Mounts: the --mount flags as Docker's API objects (Type, Source, Target, ReadOnly, *Options).</summary>
    private static void HostConfigMounts(Utf8JsonWriter w, List<MiniRun.Volumes.MountRequest> requests)
    {
        w.WriteStartArray("Mounts");
        foreach (var m in requests)
        {
            w.WriteStartObject();
            w.WriteString("Type", m.Type);
            if (m.Source.Length > 0) w.WriteString("Source", m.Source);
            w.WriteString("Target", m.Target);
            if (m.ReadOnly) w.WriteBoolean("ReadOnly", true);
            if (m.Propagation.Length > 0)
            {
                w.WriteStartObject("BindOptions");
                w.WriteString("Propagation", m.Propagation);
                w.WriteEndObject();
            }
            if (m.NoCopy || m.VolumeLabels.Count + m.VolumeOptions.Count > 0 || m.VolumeDriver.Length > 0)
            {
                w.WriteStartObject("VolumeOptions");
                if (m.NoCopy) w.WriteBoolean("NoCopy", true);
                if (m.VolumeLabels.Count > 0) { w.WriteStartObject("Labels"); foreach (var (k, v) in m.VolumeLabels) w.WriteString(k, v); w.WriteEndObject(); }
                if (m.VolumeDriver.Length > 0 || m.VolumeOptions.Count > 0)
                {
                    w.WriteStartObject("DriverConfig");
                    if (m.VolumeDriver.Length > 0) w.WriteString("Name", m.VolumeDriver);
                    if (m.VolumeOptions.Count > 0) { w.WriteStartObject("Options"); foreach (var (k, v) in m.VolumeOptions) w.WriteString(k, v); w.WriteEndObject(); }
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            if (m.TmpfsSize is not null || m.TmpfsMode is not null)
            {
                w.WriteStartObject("TmpfsOptions");
                if (m.TmpfsSize is long size) w.WriteNumber("SizeBytes", size);
                if (m.TmpfsMode is uint mode) w.WriteNumber("Mode", mode);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>Mounts: Docker's MountPoint list (Type, Name for volumes, Source, Destination, Driver, Mode, RW, Propagation).</summary>
    private static void Mounts(Utf8JsonWriter w, MiniRun.Volumes.ContainerMountSet mounts)
    {
        w.WriteStartArray("Mounts");
        foreach (var p in mounts.Points)
        {
            w.WriteStartObject();
            w.WriteString("Type", p.Type);
            if (p.Type == MiniRun.Volumes.MountTypes.Volume) w.WriteString("Name", p.Name);
            w.WriteString("Source", p.Source);
            w.WriteString("Destination", p.Destination);
            if (p.Type == MiniRun.Volumes.MountTypes.Volume) w.WriteString("Driver", p.Driver);
            w.WriteString("Mode", p.Mode);
            w.WriteBoolean("RW", p.RW);
            w.WriteString("Propagation", p.Propagation);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static string LayerDir(string lower)
    {
        try { return new FileInfo(lower).LinkTarget is { } t ? Path.GetFullPath(Path.Combine(Path.GetDirectoryName(lower)!, t)) : lower; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return lower; }
    }

    private static void GraphDriver(Utf8JsonWriter w, RuntimeSpec? spec, string bundle)
    {
        var overlay = spec?.Linux.Overlay;
        w.WriteStartObject("GraphDriver");
        w.WriteStartObject("Data");
        // config.json names each layer by its short link (ROOT/l/NAME); Docker shows the layer directories.
        w.WriteString("LowerDir", overlay is null ? "" : string.Join(':', overlay.LowerDirs.Select(LayerDir)));
        w.WriteString("MergedDir", Path.Combine(bundle, "rootfs"));
        w.WriteString("UpperDir", overlay?.UpperDir ?? Path.Combine(bundle, "upper"));
        w.WriteString("WorkDir", overlay?.WorkDir ?? Path.Combine(bundle, "work"));
        w.WriteEndObject();
        w.WriteString("Name", "overlay2");
        w.WriteEndObject();
    }

    private static void Config(Utf8JsonWriter w, ContainerRecord c, RuntimeSpec? spec, List<string> args, MiniRun.Volumes.ContainerMountSet mounts)
    {
        var k = c.Config;
        w.WriteStartObject("Config");
        w.WriteString("Hostname", k.Hostname.Length > 0 ? k.Hostname : spec?.Hostname ?? Naming.ShortId(c.Id));
        w.WriteString("Domainname", "");
        w.WriteString("User", k.User);
        w.WriteBoolean("AttachStdin", k.OpenStdin);
        w.WriteBoolean("AttachStdout", true);
        w.WriteBoolean("AttachStderr", true);
        w.WriteBoolean("Tty", k.Tty || (spec?.Process.Terminal ?? false));
        w.WriteBoolean("OpenStdin", k.OpenStdin);
        w.WriteBoolean("StdinOnce", k.OpenStdin);
        StringArray(w, "Env", k.Env.Count > 0 ? k.Env : spec?.Process.Env ?? []);
        StringArray(w, "Cmd", k.Cmd.Count > 0 ? k.Cmd : args);
        if (k.Healthcheck is { } hc)
        {
            w.WriteStartObject("Healthcheck");
            StringArray(w, "Test", hc.Test);
            w.WriteNumber("Interval", hc.Interval);
            w.WriteNumber("Timeout", hc.Timeout);
            w.WriteNumber("StartPeriod", hc.StartPeriod);
            w.WriteNumber("Retries", hc.Retries);
            w.WriteEndObject();
        }
        w.WriteString("Image", c.Image);
        var anonymous = mounts.Points.Where(p => p.Anonymous).Select(p => p.Destination).ToList();   // -v PATH and the image's VOLUMEs
        if (anonymous.Count == 0) w.WriteNull("Volumes");
        else
        {
            w.WriteStartObject("Volumes");
            foreach (var d in anonymous) { w.WriteStartObject(d); w.WriteEndObject(); }
            w.WriteEndObject();
        }
        w.WriteString("WorkingDir", k.WorkingDir.Length > 0 ? k.WorkingDir : spec?.Process.Cwd ?? "");
        if (k.Entrypoint is null) w.WriteNull("Entrypoint"); else StringArray(w, "Entrypoint", k.Entrypoint);
        w.WriteNull("OnBuild");
        w.WriteStartObject("Labels");
        foreach (var (key, value) in k.Labels.OrderBy(l => l.Key, StringComparer.Ordinal)) w.WriteString(key, value);
        w.WriteEndObject();
        if (k.StopSignal is not null) w.WriteString("StopSignal", k.StopSignal);
        if (k.StopTimeout is int t) w.WriteNumber("StopTimeout", t);
        w.WriteEndObject();
    }

    /// <summary>Docker's NetworkSettings from network.json: the namespace file, published ports, one entry per network.</summary>
    private static void NetworkSettings(Utf8JsonWriter w, MiniRun.Network.ContainerNetworkState? net, bool up, string id)
    {
        var endpoints = up ? net?.Endpoints ?? [] : [];
        var first = endpoints.FirstOrDefault();
        bool onDefault = first?.NetworkName == MiniRun.Network.NetworkStore.DefaultName;
        w.WriteStartObject("NetworkSettings");
        w.WriteString("Bridge", "");
        w.WriteString("SandboxID", string.IsNullOrEmpty(net?.SandboxKey) ? "" : Path.GetFileName(net.SandboxKey));
        w.WriteString("SandboxKey", up ? net?.SandboxKey ?? "" : "");
        w.WriteStartObject("Ports");
        if (up && net is not null)
        {
            var published = net.Ports.GroupBy(b => $"{b.ContainerPort}/{b.Protocol}").ToDictionary(g => g.Key, g => g.ToList());
            foreach (var key in net.Request.Exposed.Concat(published.Keys).Distinct())
            {
                if (!published.TryGetValue(key, out var list)) { w.WriteNull(key); continue; }
                w.WriteStartArray(key);
                foreach (var b in list)
                {
                    w.WriteStartObject();
                    w.WriteString("HostIp", b.HostIp.Length == 0 ? "0.0.0.0" : b.HostIp);
                    w.WriteString("HostPort", b.HostPort.ToString());
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
        }
        w.WriteEndObject();
        // The top-level address fields describe the default bridge only, as in Docker.
        w.WriteString("Gateway", onDefault ? first!.Gateway.ToString() : "");
        w.WriteString("IPAddress", onDefault ? first!.Address.ToString() : "");
        w.WriteNumber("IPPrefixLen", onDefault ? first!.PrefixLength : 0);
        w.WriteString("MacAddress", onDefault ? first!.MacAddress : "");
        w.WriteStartObject("Networks");
        foreach (var e in endpoints)
        {
            w.WriteStartObject(e.NetworkName);
            w.WriteString("NetworkID", e.NetworkId);
            w.WriteString("EndpointID", MiniRun.Network.ContainerNetwork.EndpointId(id, e.NetworkId));
            w.WriteString("Gateway", e.Gateway.ToString());
            w.WriteString("IPAddress", e.Address.ToString());
            w.WriteNumber("IPPrefixLen", e.PrefixLength);
            w.WriteString("MacAddress", e.MacAddress);
            if (e.Aliases.Count > 0) StringArray(w, "Aliases", e.Aliases); else w.WriteNull("Aliases");
            w.WriteString("InterfaceName", e.Interface);
            w.WriteString("HostInterfaceName", e.HostInterface);
            w.WriteEndObject();
        }
        if (endpoints.Count == 0 && net?.Request.Mode is string mode && !mode.StartsWith("container:"))
        {
            w.WriteStartObject(mode);   // not running: the network it will join, without an address (as Docker shows)
            w.WriteString("IPAddress", "");
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void MiniRunSection(Utf8JsonWriter w, ContainerRecord c, string bundle, bool up, InspectHost host, RuntimeSpec? spec)
    {
        w.WriteStartObject("MiniRun");
        w.WriteStartArray("Namespaces");
        if (up)
        {
            foreach (var ns in InspectNamespaces.Read(c.State.Pid, host.ProcRoot))
            {
                w.WriteStartObject();
                w.WriteString("Type", ns.Type);
                w.WriteString("Inode", ns.Inode);
                w.WriteString("Host", ns.Host);
                w.WriteBoolean("Shared", ns.Shared);
                w.WriteEndObject();
            }
        }
        w.WriteEndArray();
        if (c.State.CgroupPath is { } cgroupPath)
        {
            w.WriteStartObject("Cgroup");
            w.WriteString("Path", "/" + cgroupPath.TrimStart('/'));
            w.WriteStartObject("Limits");
            if (host.CgroupMount() is { } mount)
                foreach (var (file, value) in InspectNamespaces.Limits(Path.Combine(mount, cgroupPath.TrimStart('/'))))
                    w.WriteString(file, value);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        MiniRun.Security.UsernsInspect.Write(w, spec, up ? c.State.Pid : 0, host.ProcRoot);
        MiniRun.Security.ConfinementInspect.Write(w, spec, up ? c.State.Pid : 0, host.ProcRoot);
        w.WriteString("Bundle", bundle);
        w.WriteEndObject();
    }

    private static void StringArray(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    private static long Bytes(string? text) => text is not null && ByteSize.TryParse(text, out long b) ? b : 0;
    private static long Long(string? text) => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? v : 0;
}
