// ComposeServiceMapper: one service's keys -> the RunOptions `minirun run` would get from the
// equivalent flags (image, command, -e, -p, -v/--mount, --network-alias, --restart, --health-*,
// -w, -u, --hostname, --label, --stop-signal, --init, --read-only, --cap-add, --tmpfs, the
// resource flags ...), so a compose container is created and started by the engine's one path.
//
// Why here: every key is checked where it is read, with its path; the three lists at the top say
// which keys are mapped, which are ignored with a warning (they change nothing MiniRun runs, or
// MiniRun lacks them: the warning names them) and which are refused. docs/compose.md has the same
// table. The config hash is a SHA-256 of the service's resolved tree and the env_file contents it
// reads: `up` recreates a container only when it changed.
//
// Follows: compose-spec 05-services.md; docker compose's conversions (command as shlex words,
// entrypoint clearing the image's CMD, service name as a network alias).
using System.Security.Cryptography;
using System.Text;
using MiniRun.Spec;

namespace MiniRun.Compose;

public static class ComposeServiceMapper
{
    public static readonly HashSet<string> Supported =
    [
        "image", "build", "command", "entrypoint", "environment", "env_file", "ports", "expose", "volumes", "volumes_from", "networks",
        "network_mode", "depends_on", "restart", "healthcheck", "working_dir", "user", "hostname", "container_name", "labels",
        "stop_signal", "stop_grace_period", "init", "read_only", "cap_add", "cap_drop", "tmpfs", "deploy", "mem_limit",
        "mem_reservation", "memswap_limit", "cpus", "cpu_shares", "cpuset", "pids_limit", "oom_score_adj", "profiles", "privileged",
        "devices", "dns", "dns_search", "dns_opt", "extra_hosts", "sysctls", "ulimits", "security_opt", "group_add", "tty",
        "stdin_open", "pull_policy", "userns_mode", "cgroup_parent", "scale", "links",
    ];

    /// <summary>In the specification, not implemented by MiniRun: a warning names them.</summary>
    public static readonly HashSet<string> Ignored =
    [
        "logging", "platform", "domainname", "mac_address", "shm_size", "ipc", "pid", "cgroup", "configs", "secrets", "runtime",
        "storage_opt", "blkio_config", "cpu_count", "cpu_percent", "cpu_period", "cpu_quota", "cpu_rt_runtime", "cpu_rt_period",
        "device_cgroup_rules", "external_links", "isolation", "oom_kill_disable", "credential_spec", "annotations", "attach",
        "develop", "post_start", "pre_stop", "mem_swappiness", "gpus", "use_api_socket", "label_file", "models", "provider",
        "uts", "driver_opts", "lifecycle_hooks",
    ];

    /// <summary>In the specification, refused: they would change what runs and MiniRun cannot honour them.</summary>
    public static readonly HashSet<string> Refused = ["extends"];

    public static ComposeService Read(ComposeProject project, string name, ComposeNode node, ComposeVariables vars, NodeReader r)
    {
        string path = "services." + name;
        if (node.Kind == NodeKind.Null) node = new ComposeNode { Kind = NodeKind.Map, File = node.File, Line = node.Line, Column = node.Column };
        r.Expect(node, path, NodeKind.Map);
        var o = new RunOptions { Pull = "missing" };
        var s = new ComposeService { Name = name, Node = node, Options = o };
        var envFileText = new StringBuilder();
        var resources = new MiniRun.Cgroups.ResourceFlagValues();
        MiniRun.Health.HealthFlagValues? health = null;
        var env = new List<string>();
        var fileEnv = new List<string>();
        List<string>? entryArgs = null;
        foreach (var (key, v) in node.Map)
        {
            string p = path + "." + key;
            if (key.StartsWith("x-", StringComparison.Ordinal)) continue;
            if (Refused.Contains(key)) throw r.Error(v, p, $"`{key}` is not supported by MiniRun");
            if (Ignored.Contains(key))
            {
                project.Warnings.Add($"service \"{name}\": `{key}` is not supported by MiniRun and is ignored");
                continue;
            }
            if (!Supported.Contains(key)) throw r.Error(v, path, $"additional property {GoQuote.Quote(key)} is not allowed");
            switch (key)
            {
                case "image": s.Image = r.RequiredString(v, p); break;
                case "build": s.Build = ReadBuild(project, v, p, r, vars); break;
                case "command": o.Command = Words(v, p, r); break;
                case "entrypoint":
                    var entry = Words(v, p, r);
                    o.Entrypoint = entry.Count == 0 ? "" : entry[0];
                    entryArgs = entry.Skip(1).ToList();   // --entrypoint takes one word: the rest lead the command
                    break;
                case "environment":
                    foreach (var (k, val) in r.KeyValues(v, p))
                        env.Add(val is not null ? $"{k}={val}" : vars.Get(k) is { } shell ? $"{k}={shell}" : k);
                    break;
                case "env_file":
                    foreach (var (file, required) in EnvFiles(v, p, r))
                    {
                        string full = Path.GetFullPath(file, project.WorkingDir);
                        if (!File.Exists(full))
                        {
                            if (required) throw r.Error(v, p, $"env file {full} not found");
                            continue;
                        }
                        string text = File.ReadAllText(full);
                        envFileText.Append(full).Append('\n').Append(text);
                        foreach (var (k, val) in ComposeVariables.ParseDotEnv(text, full, vars.Get))
                            fileEnv.Add(val is not null ? $"{k}={val}" : vars.Get(k) is { } shell ? $"{k}={shell}" : k);
                    }
                    break;
                case "ports": ReadPorts(s, v, p, r); break;
                case "expose": r.StringOrList(v, p); break;   // metadata only: on a network every port of a container is reachable
                case "volumes": ReadVolumes(project, s, v, p, r); break;
                case "volumes_from":
                    foreach (var from in r.List(v, p))
                        o.VolumesFrom.Add(from.StartsWith("container:", StringComparison.Ordinal) ? from[10..]
                            : from.Split(':') is [var svc, .. var rest] ? string.Join(':', [$"{project.Name}-{svc}-1", .. rest]) : from);
                    break;
                case "networks": ReadServiceNetworks(project, s, v, p, r); break;
                case "network_mode":
                    string mode = r.RequiredString(v, p);
                    s.NetworkMode = mode.StartsWith("service:", StringComparison.Ordinal) ? $"container:{project.Name}-{mode[8..]}-1" : mode;
                    if (mode.StartsWith("service:", StringComparison.Ordinal) && !s.DependsOn.Any(d => d.Service == mode[8..]))
                        s.DependsOn.Add(new ComposeDependency(mode[8..], "service_started", true, false));
                    break;
                case "links":
                    foreach (var link in r.List(v, p))
                    {
                        string target = link.Split(':')[0];
                        if (!s.DependsOn.Any(d => d.Service == target)) s.DependsOn.Add(new ComposeDependency(target, "service_started", true, false));
                        // SERVICE:ALIAS: the alias would be a name for the target on this container's networks; MiniRun keeps only the order.
                        if (link.IndexOf(':') is var colon and > 0 && link[(colon + 1)..] != target)
                            project.Warnings.Add($"service \"{name}\": the alias {GoQuote.Quote(link[(colon + 1)..])} in {p} is not supported by MiniRun and is ignored (give {target} networks.<network>.aliases)");
                    }
                    break;
                case "depends_on": ReadDependsOn(s, v, p, r); break;
                case "restart":
                    s.Restart = r.RequiredString(v, p);
                    try { MiniRun.Supervisor.RestartRules.Parse(s.Restart); }
                    catch (FormatException e) { throw r.Error(v, p, e.Message); }
                    break;
                case "healthcheck": health = ReadHealth(s, v, p, r); break;
                case "working_dir": o.Workdir = r.String(v, p); break;
                case "user": o.User = r.String(v, p); break;
                case "hostname": o.Hostname = r.String(v, p); break;
                case "container_name": s.ContainerName = r.RequiredString(v, p); break;
                case "labels": foreach (var (k, val) in r.KeyValues(v, p)) o.Labels.Add($"{k}={val}"); break;
                case "stop_signal": o.StopSignal = r.RequiredString(v, p); break;
                case "stop_grace_period": o.StopTimeout = (int)Math.Ceiling(r.Duration(v, p).TotalSeconds); break;
                case "init": o.Init = r.Bool(v, p); break;
                case "read_only": o.ReadOnly = r.Bool(v, p); break;
                case "privileged": o.Privileged = r.Bool(v, p); break;
                case "tty": o.Tty = r.Bool(v, p); break;
                case "stdin_open": o.Interactive = r.Bool(v, p); break;
                case "cap_add": o.CapAdd.AddRange(r.List(v, p)); break;
                case "cap_drop": o.CapDrop.AddRange(r.List(v, p)); break;
                case "tmpfs": o.Tmpfs.AddRange(r.StringOrList(v, p)); break;
                case "devices": o.Devices.AddRange(r.List(v, p)); break;
                case "dns": o.Dns.AddRange(r.StringOrList(v, p)); break;
                case "dns_search": o.DnsSearch.AddRange(r.StringOrList(v, p)); break;
                case "dns_opt": o.DnsOptions.AddRange(r.List(v, p)); break;
                case "extra_hosts":
                    foreach (var (k, val) in r.KeyValues(v, p)) o.AddHosts.Add(val is null ? k : $"{k}:{val}");
                    break;
                case "sysctls": foreach (var (k, val) in r.KeyValues(v, p)) o.Sysctls.Add($"{k}={val}"); break;
                case "security_opt": o.SecurityOpt.AddRange(r.List(v, p)); break;
                case "group_add": o.GroupAdd.AddRange(r.List(v, p)); break;
                case "ulimits":
                    foreach (var (k, lim) in r.Expect(v, p, NodeKind.Map).Map)
                        o.Ulimits.Add(lim.Kind == NodeKind.Map
                            ? $"{k}={r.Int(lim["soft"] ?? ComposeNode.Null(lim.File), $"{p}.{k}.soft")}:{r.Int(lim["hard"] ?? ComposeNode.Null(lim.File), $"{p}.{k}.hard")}"
                            : $"{k}={r.Int(lim, $"{p}.{k}")}");
                    break;
                case "pull_policy":
                    string pull = r.RequiredString(v, p);
                    s.PullPolicy = pull switch
                    {
                        "always" or "never" or "missing" => pull,
                        "if_not_present" => "missing",
                        "build" => "build",
                        _ => throw r.Error(v, p, $"invalid pull policy {GoQuote.Quote(pull)} (always, never, missing, build)"),
                    };
                    break;
                case "userns_mode": o.Userns = r.String(v, p); break;
                case "cgroup_parent": o.CgroupParent = r.String(v, p); break;
                case "profiles": s.Profiles.AddRange(r.List(v, p)); break;
                case "mem_limit": resources = resources with { Memory = r.RequiredString(v, p) }; break;
                case "mem_reservation": resources = resources with { MemoryReservation = r.RequiredString(v, p) }; break;
                case "memswap_limit": resources = resources with { MemorySwap = r.RequiredString(v, p) }; break;
                case "cpus": resources = resources with { Cpus = r.RequiredString(v, p) }; break;
                case "cpu_shares": resources = resources with { CpuShares = r.RequiredString(v, p) }; break;
                case "cpuset": resources = resources with { CpusetCpus = r.RequiredString(v, p) }; break;
                case "pids_limit": resources = resources with { PidsLimit = r.RequiredString(v, p) }; break;
                case "oom_score_adj": resources = resources with { OomScoreAdj = r.RequiredString(v, p) }; break;
                case "deploy": resources = ReadDeploy(project, name, resources, v, p, r); break;
                case "scale":
                    if (r.Int(v, p) != 1) throw r.Error(v, p, "more than one container per service is not supported by MiniRun (scale must be 1)");
                    break;
            }
        }
        if (s.Image is null && s.Build is null)
            throw r.Error(node, path, "has neither an image nor a build context specified: invalid compose project");
        if (s.Image is not null && !MiniImage.Reference.ImageReference.TryParse(s.Image, out _, out var refError))
            throw r.Error(node["image"]!, path + ".image", $"invalid reference format: {refError}");
        if (entryArgs is not null)
            o.Command = [.. entryArgs, .. node["command"] is null ? [] : o.Command];
        o.Env = [.. fileEnv, .. env];   // environment: wins over env_file (the later value of a key wins)
        o.Resources = resources;
        if (health is not null) o.Health = health;
        s.Options.Pull = s.PullPolicy == "build" ? "never" : s.PullPolicy;
        if (s.NetworkMode is null && s.Networks.Count == 0)
            s.Networks.Add(new ComposeServiceNetwork("default", [], null));
        foreach (var n in s.Networks)
            if (!project.Networks.ContainsKey(n.Key))
                throw new ComposeException($"service {GoQuote.Quote(name)} refers to undefined network {n.Key}: invalid compose project");
        s.ConfigHash = Hash(node, envFileText.ToString());
        return s;
    }

    public static string Hash(ComposeNode node, string extra) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ComposeNode.Canonical(node) + "\n" + extra)));

    /// <summary>command/entrypoint: a list as it is, a string split into words as a POSIX shell would (quotes, backslashes), no expansion.</summary>
    public static List<string> Words(ComposeNode v, string path, NodeReader r)
    {
        if (v.Kind == NodeKind.Seq) return r.List(v, path);
        string? text = r.String(v, path);
        if (text is null) return [];
        return SplitWords(text) ?? throw r.Error(v, path, $"unterminated quote in {GoQuote.Quote(text)}");
    }

    public static List<string>? SplitWords(string text)
    {
        var words = new List<string>();
        var cur = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c)) { if (inWord) { words.Add(cur.ToString()); cur.Clear(); inWord = false; } continue; }
            inWord = true;
            if (c == '\\' && i + 1 < text.Length) { cur.Append(text[++i]); continue; }
            if (c is '\'' or '"')
            {
                int end = i + 1;
                while (end < text.Length && text[end] != c)
                {
                    if (c == '"' && text[end] == '\\' && end + 1 < text.Length && text[end + 1] is '"' or '\\' or '$' or '`') end++;
                    cur.Append(text[end++]);
                }
                if (end >= text.Length) return null;
                i = end;
                continue;
            }
            cur.Append(c);
        }
        if (inWord) words.Add(cur.ToString());
        return words;
    }

    private static ComposeBuild ReadBuild(ComposeProject project, ComposeNode v, string p, NodeReader r, ComposeVariables vars)
    {
        if (v.Kind == NodeKind.Scalar) return new ComposeBuild(Path.GetFullPath(v.Value, project.WorkingDir), null, [], null, [], false, false, null);
        r.Expect(v, p, NodeKind.Map);
        string context = ".";
        string? dockerfile = null, target = null, network = null;
        var args = new List<KeyValuePair<string, string>>();
        var labels = new List<KeyValuePair<string, string>>();
        bool noCache = false, pull = false;
        foreach (var (k, x) in v.Map)
        {
            string q = p + "." + k;
            switch (k)
            {
                case "context": context = r.RequiredString(x, q); break;
                case "dockerfile": dockerfile = r.RequiredString(x, q); break;
                case "target": target = r.String(x, q); break;
                case "network": network = r.String(x, q); break;
                case "no_cache": noCache = r.Bool(x, q); break;
                case "pull": pull = r.Bool(x, q); break;
                case "args":
                    // An arg without a value takes the variable from the shell or .env (as `environment:` does), else is left out.
                    foreach (var (ak, av) in r.KeyValues(x, q))
                        if ((av ?? vars.Get(ak)) is { } value) args.Add(new(ak, value));
                    break;
                case "labels": foreach (var (lk, lv) in r.KeyValues(x, q)) labels.Add(new(lk, lv ?? "")); break;
                case "dockerfile_inline" or "ssh" or "secrets" or "cache_from" or "cache_to" or "extra_hosts" or "isolation" or "privileged"
                    or "shm_size" or "tags" or "ulimits" or "platforms" or "additional_contexts" or "entitlements" or "provenance" or "sbom":
                    project.Warnings.Add($"{q} is not supported by MiniRun and is ignored");
                    break;
                default:
                    if (!k.StartsWith("x-", StringComparison.Ordinal)) throw r.Error(x, p, $"additional property {GoQuote.Quote(k)} is not allowed");
                    break;
            }
        }
        if (context.Contains("://") || context.StartsWith("git@", StringComparison.Ordinal))
            throw r.Error(v, p + ".context", $"a build context from a URL is not supported by MiniRun: {context}");
        return new ComposeBuild(Path.GetFullPath(context, project.WorkingDir), dockerfile, args, target, labels, noCache, pull, network);
    }

    private static IEnumerable<(string File, bool Required)> EnvFiles(ComposeNode v, string p, NodeReader r)
    {
        if (v.Kind == NodeKind.Scalar) { yield return (v.Value, true); yield break; }
        var items = r.Expect(v, p, NodeKind.Seq).Items;
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (item.Kind == NodeKind.Scalar) yield return (item.Value, true);
            else
            {
                r.Expect(item, $"{p}[{i}]", NodeKind.Map);
                string file = r.RequiredString(item["path"] ?? ComposeNode.Null(item.File), $"{p}[{i}].path");
                bool required = item["required"] is not { } req || r.Bool(req, $"{p}[{i}].required");
                yield return (file, required);
            }
        }
    }

    private static void ReadPorts(ComposeService s, ComposeNode v, string p, NodeReader r)
    {
        var items = r.Expect(v, p, NodeKind.Seq).Items;
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i];
            string q = $"{p}[{i}]";
            string spec;
            if (item.Kind == NodeKind.Map)
            {
                string target = r.RequiredString(item["target"] ?? ComposeNode.Null(item.File), q + ".target");
                string? published = item["published"] is { } pub ? r.String(pub, q + ".published") : null;
                string? hostIp = item["host_ip"] is { } hip ? r.String(hip, q + ".host_ip") : null;
                string protocol = item["protocol"] is { } pr ? r.RequiredString(pr, q + ".protocol") : "tcp";
                foreach (var (k, _) in item.Map)
                    if (k is not ("target" or "published" or "host_ip" or "protocol" or "mode" or "name" or "app_protocol"))
                        throw r.Error(item, q, $"additional property {GoQuote.Quote(k)} is not allowed");
                spec = (hostIp is null ? "" : hostIp + ":") + (published is null ? "" : published + ":") + target + "/" + protocol;
                if (hostIp is null && published is null) spec = target + "/" + protocol;
            }
            else spec = r.RequiredString(item, q);
            IReadOnlyList<MiniRun.Network.PortRequest> requests;
            try { requests = MiniRun.Network.PortSpec.Parse(spec); }
            catch (Exception e) when (e is FormatException or MiniRun.Network.NetworkException or RunConfigException)
            {
                throw r.Error(item, q, e.Message);
            }
            // A fixed host port (not a range the kernel picks from) can conflict with another service's.
            foreach (var req in requests.Where(x => x.HostPortFirst != 0 && x.HostPortFirst == x.HostPortLast))
                s.HostPorts.Add((MiniRun.Network.PortSpec.DisplayAddress(req.HostIp), req.HostPortFirst, req.Protocol));
            s.Options.Publish.Add(spec);
        }
    }

    private static void ReadVolumes(ComposeProject project, ComposeService s, ComposeNode v, string p, NodeReader r)
    {
        var items = r.Expect(v, p, NodeKind.Seq).Items;
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i];
            string q = $"{p}[{i}]";
            if (item.Kind == NodeKind.Map)
            {
                // Every key is checked: a misspelt one (readonly for read_only) must not leave a mount writable in silence.
                foreach (var (k, x) in item.Map)
                {
                    switch (k)
                    {
                        case "type" or "source" or "target" or "read_only" or "consistency": break;
                        case "bind" or "volume" or "tmpfs":
                            foreach (var (sk, sx) in r.Expect(x, $"{q}.{k}", NodeKind.Map).Map)
                            {
                                if ((k, sk) is ("bind", "propagation" or "create_host_path") or ("volume", "nocopy") or ("tmpfs", "size" or "mode")) continue;
                                if ((k, sk) is ("bind", "selinux") or ("volume", "subpath")) { project.Warnings.Add($"{q}.{k}.{sk} is not supported by MiniRun and is ignored"); continue; }
                                throw r.Error(sx, $"{q}.{k}", $"additional property {GoQuote.Quote(sk)} is not allowed");
                            }
                            break;
                        default:
                            if (!k.StartsWith("x-", StringComparison.Ordinal)) throw r.Error(x, q, $"additional property {GoQuote.Quote(k)} is not allowed");
                            break;
                    }
                }
                string type = item["type"] is { } t ? r.RequiredString(t, q + ".type") : "volume";
                string? source = item["source"] is { } src ? r.String(src, q + ".source") : null;
                string target = r.RequiredString(item["target"] ?? ComposeNode.Null(item.File), q + ".target");
                bool readOnly = item["read_only"] is { } ro && r.Bool(ro, q + ".read_only");
                var parts = new List<string> { "type=" + type };
                switch (type)
                {
                    case "bind":
                        if (source is null) throw r.Error(item, q, "a bind mount needs a source");
                        string host = HostPath(project, source);
                        bool create = item["bind"]?["create_host_path"] is not { } c || r.Bool(c, q + ".bind.create_host_path");
                        if (create) Directory.CreateDirectory(host);   // Compose makes a missing bind source unless told not to
                        parts.Add("source=" + host);
                        if (item["bind"]?["propagation"] is { } prop) parts.Add("bind-propagation=" + r.RequiredString(prop, q + ".bind.propagation"));
                        break;
                    case "volume":
                        if (source is not null)
                        {
                            if (!project.Volumes.TryGetValue(source, out var vol))
                                throw new ComposeException($"service {GoQuote.Quote(s.Name)} refers to undefined volume {source}: invalid compose project");
                            parts.Add("source=" + vol.Name);
                            s.VolumeKeys.Add(source);
                        }
                        if (item["volume"]?["nocopy"] is { } nc && r.Bool(nc, q + ".volume.nocopy")) parts.Add("volume-nocopy");
                        break;
                    case "tmpfs":
                        if (item["tmpfs"]?["size"] is { } size) parts.Add("tmpfs-size=" + r.RequiredString(size, q + ".tmpfs.size"));
                        if (item["tmpfs"]?["mode"] is { } mode) parts.Add("tmpfs-mode=" + r.RequiredString(mode, q + ".tmpfs.mode"));
                        break;
                    default:
                        throw r.Error(item, q + ".type", $"volume type {GoQuote.Quote(type)} is not supported by MiniRun (bind, volume, tmpfs)");
                }
                parts.Add("target=" + target);
                if (readOnly) parts.Add("readonly");
                s.Options.Mounts.Add(string.Join(',', parts));
                continue;
            }
            string text = r.RequiredString(item, q);
            var fields = SplitVolume(text);
            if (fields.Count == 1) { s.Options.Volumes.Add(text); continue; }   // an anonymous volume
            string sourceText = fields[0];
            string rest = string.Join(':', fields.Skip(1));
            if (sourceText.StartsWith('.') || sourceText.StartsWith('/') || sourceText.StartsWith('~'))
                s.Options.Volumes.Add(HostPath(project, sourceText) + ":" + rest);
            else
            {
                if (!project.Volumes.TryGetValue(sourceText, out var vol))
                    throw new ComposeException($"service {GoQuote.Quote(s.Name)} refers to undefined volume {sourceText}: invalid compose project");
                s.VolumeKeys.Add(sourceText);
                s.Options.Volumes.Add(vol.Name + ":" + rest);
            }
        }
    }

    private static List<string> SplitVolume(string text) => text.Split(':').ToList();

    private static string HostPath(ComposeProject project, string source)
    {
        if (source == "~" || source.StartsWith("~/", StringComparison.Ordinal))
            source = (Environment.GetEnvironmentVariable("HOME") ?? "/root") + source[1..];
        return Path.GetFullPath(source, project.WorkingDir);
    }

    private static void ReadServiceNetworks(ComposeProject project, ComposeService s, ComposeNode v, string p, NodeReader r)
    {
        if (v.Kind == NodeKind.Seq)
        {
            foreach (var key in r.List(v, p)) s.Networks.Add(new ComposeServiceNetwork(key, [], null));
            return;
        }
        foreach (var (key, def) in r.Expect(v, p, NodeKind.Map).Map)
        {
            var aliases = new List<string>();
            string? ip = null;
            if (def.Kind != NodeKind.Null)
            {
                foreach (var (k, x) in r.Expect(def, $"{p}.{key}", NodeKind.Map).Map)
                {
                    string q = $"{p}.{key}.{k}";
                    switch (k)
                    {
                        case "aliases": aliases.AddRange(r.List(x, q)); break;
                        case "ipv4_address": ip = r.String(x, q); break;
                        case "priority" or "gw_priority" or "ipv6_address" or "link_local_ips" or "mac_address" or "driver_opts" or "interface_name":
                            project.Warnings.Add($"{q} is not supported by MiniRun and is ignored");
                            break;
                        default: throw r.Error(x, $"{p}.{key}", $"additional property {GoQuote.Quote(k)} is not allowed");
                    }
                }
            }
            s.Networks.Add(new ComposeServiceNetwork(key, aliases, ip));
        }
    }

    private static void ReadDependsOn(ComposeService s, ComposeNode v, string p, NodeReader r)
    {
        if (v.Kind == NodeKind.Seq)
        {
            foreach (var d in r.List(v, p)) s.DependsOn.Add(new ComposeDependency(d, "service_started", true, false));
            return;
        }
        foreach (var (dep, def) in r.Expect(v, p, NodeKind.Map).Map)
        {
            string condition = "service_started";
            bool required = true, restart = false;
            if (def.Kind != NodeKind.Null)
            {
                foreach (var (k, x) in r.Expect(def, $"{p}.{dep}", NodeKind.Map).Map)
                {
                    string q = $"{p}.{dep}.{k}";
                    switch (k)
                    {
                        case "condition":
                            condition = r.RequiredString(x, q);
                            if (condition is not ("service_started" or "service_healthy" or "service_completed_successfully"))
                                throw r.Error(x, q, $"must be one of service_started, service_healthy, service_completed_successfully, not {GoQuote.Quote(condition)}");
                            break;
                        case "required": required = r.Bool(x, q); break;
                        case "restart":
                            restart = r.Bool(x, q);
                            // Compose restarts this service when `compose restart` or `up` restarts or recreates the dependency; MiniRun does not.
                            if (restart) r.Warnings.Add($"{q} is not supported by MiniRun and is ignored");
                            break;
                        default: throw r.Error(x, $"{p}.{dep}", $"additional property {GoQuote.Quote(k)} is not allowed");
                    }
                }
            }
            s.DependsOn.Add(new ComposeDependency(dep, condition, required, restart));
        }
    }

    private static MiniRun.Health.HealthFlagValues ReadHealth(ComposeService s, ComposeNode v, string p, NodeReader r)
    {
        r.Expect(v, p, NodeKind.Map);
        string? cmd = null, interval = null, timeout = null, startPeriod = null;
        IReadOnlyList<string>? test = null;
        int? retries = null;
        bool disable = false;
        foreach (var (k, x) in v.Map)
        {
            string q = p + "." + k;
            switch (k)
            {
                case "test":
                    if (x.Kind == NodeKind.Scalar) cmd = x.Value;
                    else
                    {
                        var list = r.List(x, q);
                        if (list.Count == 0) throw r.Error(x, q, "must not be empty");
                        switch (list[0])
                        {
                            case "NONE": disable = true; break;
                            case "CMD-SHELL": cmd = string.Join(' ', list.Skip(1)); break;
                            case "CMD": test = list; break;
                            default: throw r.Error(x, q, $"the first item must be CMD, CMD-SHELL or NONE, not {GoQuote.Quote(list[0])}");
                        }
                    }
                    break;
                case "interval": interval = ComposeDurations.ToFlag(r.Duration(x, q)); break;
                case "timeout": timeout = ComposeDurations.ToFlag(r.Duration(x, q)); break;
                case "start_period": startPeriod = ComposeDurations.ToFlag(r.Duration(x, q)); break;
                case "retries": retries = (int)r.Int(x, q); break;
                case "disable": disable = r.Bool(x, q); break;
                case "start_interval": r.Warnings.Add($"{q} is not supported by MiniRun and is ignored"); break;
                default: throw r.Error(x, p, $"additional property {GoQuote.Quote(k)} is not allowed");
            }
        }
        s.HasHealthcheck = !disable && (cmd is not null || test is not null);
        if (disable) return new MiniRun.Health.HealthFlagValues(NoHealthcheck: true);
        return new MiniRun.Health.HealthFlagValues(cmd, interval, timeout, startPeriod, retries, disable) { Test = test };
    }

    private static MiniRun.Cgroups.ResourceFlagValues ReadDeploy(ComposeProject project, string service, MiniRun.Cgroups.ResourceFlagValues f,
        ComposeNode v, string p, NodeReader r)
    {
        foreach (var (k, x) in r.Expect(v, p, NodeKind.Map).Map)
        {
            string q = p + "." + k;
            switch (k)
            {
                case "replicas":
                    if (r.Int(x, q) != 1) throw r.Error(x, q, "more than one container per service is not supported by MiniRun (replicas must be 1)");
                    break;
                case "resources":
                    foreach (var (rk, rv) in r.Expect(x, q, NodeKind.Map).Map)
                    {
                        string rq = q + "." + rk;
                        if (rk is not ("limits" or "reservations")) throw r.Error(rv, q, $"additional property {GoQuote.Quote(rk)} is not allowed");
                        foreach (var (lk, lv) in r.Expect(rv, rq, NodeKind.Map).Map)
                        {
                            string lq = rq + "." + lk;
                            switch (rk, lk)
                            {
                                case ("limits", "cpus"): f = f with { Cpus = r.RequiredString(lv, lq) }; break;
                                case ("limits", "memory"): f = f with { Memory = r.RequiredString(lv, lq) }; break;
                                case ("limits", "pids"): f = f with { PidsLimit = r.RequiredString(lv, lq) }; break;
                                case ("reservations", "memory"): f = f with { MemoryReservation = r.RequiredString(lv, lq) }; break;
                                case (_, "cpus" or "devices" or "generic_resources"):
                                    project.Warnings.Add($"service \"{service}\": {lq} is not supported by MiniRun and is ignored");
                                    break;
                                default: throw r.Error(lv, rq, $"additional property {GoQuote.Quote(lk)} is not allowed");
                            }
                        }
                    }
                    break;
                case "mode":
                    if (r.String(x, q) is not (null or "replicated")) throw r.Error(x, q, "only mode: replicated is supported by MiniRun");
                    break;
                case "restart_policy" or "placement" or "update_config" or "rollback_config" or "endpoint_mode" or "labels":
                    project.Warnings.Add($"service \"{service}\": {q} (a Swarm setting) is not supported by MiniRun and is ignored");
                    break;
                default: throw r.Error(x, p, $"additional property {GoQuote.Quote(k)} is not allowed");
            }
        }
        return f;
    }

    /// <summary>The RunOptions for one container of <paramref name="s"/>: its name, first network and aliases, Compose's labels.</summary>
    public static RunOptions ForContainer(ComposeProject project, ComposeService s, string imageName, int number = 1, bool oneOff = false)
    {
        var o = s.Options;
        var copy = new RunOptions
        {
            Rm = o.Rm, Interactive = o.Interactive, Tty = o.Tty, Hostname = o.Hostname, Env = [.. o.Env], EnvFiles = [.. o.EnvFiles],
            Labels = [.. o.Labels], Workdir = o.Workdir, User = o.User, Entrypoint = o.Entrypoint, Image = imageName, Command = [.. o.Command],
            Pull = o.Pull, Resources = o.Resources, Init = o.Init, Health = o.Health, CgroupParent = o.CgroupParent, Userns = o.Userns,
            Devices = [.. o.Devices], ReadOnly = o.ReadOnly, Tmpfs = [.. o.Tmpfs], Ulimits = [.. o.Ulimits], Sysctls = [.. o.Sysctls],
            GroupAdd = [.. o.GroupAdd], CapAdd = [.. o.CapAdd], CapDrop = [.. o.CapDrop], Privileged = o.Privileged,
            SecurityOpt = [.. o.SecurityOpt], Volumes = [.. o.Volumes], Mounts = [.. o.Mounts], VolumesFrom = [.. o.VolumesFrom],
            Publish = [.. o.Publish], Dns = [.. o.Dns], DnsSearch = [.. o.DnsSearch], DnsOptions = [.. o.DnsOptions],
            AddHosts = [.. o.AddHosts], StopSignal = o.StopSignal, StopTimeout = o.StopTimeout,
        };
        copy.Name = oneOff ? $"{project.Name}-{s.Name}-run-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6))}"
            : s.ContainerNameIn(project.Name, number);
        if (s.NetworkMode is not null) copy.Network = s.NetworkMode;
        else if (s.Networks.Count > 0)
        {
            var first = s.Networks[0];
            copy.Network = project.Networks[first.Key].Name;
            copy.NetworkAliases = oneOff ? [] : [s.Name, .. first.Aliases];   // a one-off `run` container must not answer for the service
            copy.Ip = first.Ipv4;
        }
        copy.Labels.Add($"{ComposeLabels.Project}={project.Name}");
        copy.Labels.Add($"{ComposeLabels.Service}={s.Name}");
        copy.Labels.Add($"{ComposeLabels.Number}={number}");
        copy.Labels.Add($"{ComposeLabels.ConfigHash}={s.ConfigHash}");
        copy.Labels.Add($"{ComposeLabels.OneOff}={(oneOff ? "True" : "False")}");
        copy.Labels.Add($"{ComposeLabels.WorkingDir}={project.WorkingDir}");
        copy.Labels.Add($"{ComposeLabels.ConfigFiles}={string.Join(',', project.ConfigFiles)}");
        copy.Labels.Add($"{ComposeLabels.Image}={imageName}");
        if (s.DependsOn.Count > 0)
            copy.Labels.Add($"{ComposeLabels.DependsOn}={string.Join(',', s.DependsOn.Select(d => $"{d.Service}:{d.Condition}:{d.Restart.ToString().ToLowerInvariant()}"))}");
        return copy;
    }
}
