// ComposeLoader: compose files -> ComposeProject. Reads each file (YAML errors with line and
// column), interpolates with the shell's variables over .env, merges several -f files, checks the
// top level and each service against the Compose Specification's rules, and sorts every key into
// supported, ignored with a warning, or refused.
//
// Why the three kinds: the course's files must run as docker compose runs them, and a key MiniRun
// does not implement must never be dropped silently. A key outside the specification is an error
// (as Compose's schema makes it); a key in it that MiniRun does not implement is a warning naming
// it (docs/compose.md has the table); a value that would change what runs and cannot be honoured
// (more than one replica, `extends`, `include`) is refused. Errors name the field's path and, where
// the file says it, its line and column.
//
// Follows: compose-spec 03-compose-file.md .. 07-volumes.md, 13-merge.md; docker compose's
// messages ("service \"web\" depends on undefined service \"db\": invalid compose project").
namespace MiniRun.Compose;

public sealed record ComposeRequest(IReadOnlyList<string> Files, string? ProjectName, string? ProjectDirectory,
    IReadOnlyList<string> Profiles, string? EnvFile = null);

public static class ComposeLoader
{
    public static readonly HashSet<string> TopLevelKeys = ["version", "name", "services", "networks", "volumes", "configs", "secrets", "include", "models"];

    public static ComposeProject Load(ComposeRequest request, string workingDir, IReadOnlyDictionary<string, string> shell)
    {
        var location = ComposeFiles.Find(request.Files, workingDir, shell.GetValueOrDefault("COMPOSE_FILE"), request.ProjectDirectory);
        var vars = ComposeVariables.Load(location.ProjectDir, shell, request.EnvFile is null ? null : Path.GetFullPath(request.EnvFile, workingDir));
        ComposeNode? root = null;
        foreach (var file in location.Files)
        {
            string text;
            try { text = File.ReadAllText(file); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ComposeException($"read {file}: {e.Message}"); }
            var node = ComposeNode.Parse(text, file, vars.Interpolate);
            root = root is null ? node : ComposeNode.Merge(root, node);
        }
        var profiles = new HashSet<string>(request.Profiles);
        if (profiles.Count == 0 && vars.Get("COMPOSE_PROFILES") is { Length: > 0 } p)
            foreach (var x in p.Split(',', StringSplitOptions.RemoveEmptyEntries)) profiles.Add(x.Trim());
        string name = ComposeFiles.ProjectName(request.ProjectName, vars.Get("COMPOSE_PROJECT_NAME"),
            root!["name"] is { Kind: NodeKind.Scalar } n ? n.Value : null, location.ProjectDir);
        var project = new ComposeProject
        {
            Name = name, WorkingDir = location.ProjectDir, ConfigFiles = location.Files, Root = root, ActiveProfiles = profiles,
        };
        Build(project, root, vars);
        return project;
    }

    /// <summary>Checks and maps the merged tree into <paramref name="project"/>.</summary>
    public static void Build(ComposeProject project, ComposeNode root, ComposeVariables vars)
    {
        var r = new NodeReader(project.Warnings);
        foreach (var (key, value) in root.Map)
        {
            if (key.StartsWith("x-", StringComparison.Ordinal)) continue;
            if (!TopLevelKeys.Contains(key)) throw r.Error(value, key, $"additional property {GoQuote.Quote(key)} is not allowed");
            switch (key)
            {
                case "version": project.Warnings.Add($"{Path.GetFileName(value.File)}: the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion"); break;
                case "include": throw r.Error(value, key, "`include` is not supported by MiniRun: merge the files with several -f instead");
                case "configs" or "secrets" or "models": project.Warnings.Add($"top-level `{key}` is not supported by MiniRun and is ignored"); break;
            }
        }
        ReadNetworks(project, root["networks"], r);
        ReadVolumes(project, root["volumes"], r);
        var services = root["services"];
        if (services is null || services.Kind == NodeKind.Null || services.Kind == NodeKind.Map && services.Map.Count == 0)
            throw new ComposeException("no service selected: the file has no `services:`");
        r.Expect(services, "services", NodeKind.Map);
        foreach (var (svcName, node) in services.Map)
        {
            if (!ServiceName.IsMatch(svcName))
                throw r.Error(node, "services", $"invalid service name {GoQuote.Quote(svcName)}: use letters, digits, '.', '_' and '-'");
            project.Services.Add(ComposeServiceMapper.Read(project, svcName, node, vars, r));
        }
        ComposeOrder.Check(project);
        CheckPortConflicts(project.Services);
    }

    private static readonly System.Text.RegularExpressions.Regex ServiceName = new("^[a-zA-Z0-9][a-zA-Z0-9._-]*$");

    private static void ReadNetworks(ComposeProject project, ComposeNode? node, NodeReader r)
    {
        var declared = node is null || node.Kind == NodeKind.Null ? [] : r.Expect(node, "networks", NodeKind.Map).Map;
        bool hasDefault = false;
        foreach (var (key, def) in declared)
        {
            string path = "networks." + key;
            hasDefault |= key == "default";
            if (def.Kind == NodeKind.Null) { project.Networks[key] = Network(project, key, null, false, "bridge", null, null, false, new()); continue; }
            r.Expect(def, path, NodeKind.Map);
            string? name = null, subnet = null, gateway = null, driver = "bridge";
            bool external = false, isInternal = false;
            var labels = new Dictionary<string, string>();
            foreach (var (k, v) in def.Map)
            {
                string p = path + "." + k;
                switch (k)
                {
                    case "name": name = r.String(v, p); break;
                    case "external":
                        external = v.Kind == NodeKind.Map ? true : r.Bool(v, p);
                        if (v.Kind == NodeKind.Map && v["name"] is { } en) name = r.String(en, p + ".name");
                        break;
                    case "driver": driver = r.String(v, p) ?? "bridge";
                        if (driver != "bridge") throw r.Error(v, p, $"driver {GoQuote.Quote(driver)} is not supported: MiniRun has only the bridge driver");
                        break;
                    case "internal": isInternal = r.Bool(v, p); break;
                    case "labels": foreach (var (lk, lv) in r.KeyValues(v, p)) labels[lk] = lv ?? ""; break;
                    case "ipam":
                        r.Expect(v, p, NodeKind.Map);
                        foreach (var (ik, iv) in v.Map)
                        {
                            if (ik == "driver") { if (r.String(iv, p + ".driver") is not (null or "default")) throw r.Error(iv, p + ".driver", "only the default IPAM driver is supported"); }
                            else if (ik == "config")
                            {
                                var items = r.Expect(iv, p + ".config", NodeKind.Seq).Items;
                                if (items.Count > 1) project.Warnings.Add($"{p}.config: only the first subnet is used");
                                if (items.Count > 0)
                                {
                                    var c = r.Expect(items[0], p + ".config[0]", NodeKind.Map);
                                    foreach (var (ck, cv) in c.Map)
                                    {
                                        if (ck == "subnet") subnet = r.String(cv, $"{p}.config[0].subnet");
                                        else if (ck == "gateway") gateway = r.String(cv, $"{p}.config[0].gateway");
                                        else if (ck is "ip_range" or "aux_addresses") project.Warnings.Add($"{p}.config[0].{ck} is not supported by MiniRun and is ignored");
                                        else throw r.Error(cv, $"{p}.config[0]", $"additional property {GoQuote.Quote(ck)} is not allowed");
                                    }
                                }
                            }
                            else if (ik == "options") project.Warnings.Add($"{p}.options is not supported by MiniRun and is ignored");
                            else throw r.Error(iv, p, $"additional property {GoQuote.Quote(ik)} is not allowed");
                        }
                        break;
                    case "enable_ipv6":
                        if (r.Bool(v, p)) throw r.Error(v, p, "IPv6 networks are not supported by MiniRun");
                        break;
                    case "attachable": r.Bool(v, p); break;
                    case "driver_opts" or "enable_ipv4": project.Warnings.Add($"{p} is not supported by MiniRun and is ignored"); break;
                    default:
                        if (!k.StartsWith("x-", StringComparison.Ordinal)) throw r.Error(v, path, $"additional property {GoQuote.Quote(k)} is not allowed");
                        break;
                }
            }
            project.Networks[key] = Network(project, key, name, external, driver, subnet, gateway, isInternal, labels);
        }
        if (!hasDefault) project.Networks["default"] = Network(project, "default", null, false, "bridge", null, null, false, new());
    }

    private static ComposeNetwork Network(ComposeProject project, string key, string? name, bool external, string driver, string? subnet,
        string? gateway, bool isInternal, Dictionary<string, string> labels)
    {
        if (!external) { labels[ComposeLabels.Project] = project.Name; labels[ComposeLabels.Network] = key; }
        return new ComposeNetwork(key, name ?? (external ? key : $"{project.Name}_{key}"), external, driver, subnet, gateway, isInternal, labels);
    }

    private static void ReadVolumes(ComposeProject project, ComposeNode? node, NodeReader r)
    {
        if (node is null || node.Kind == NodeKind.Null) return;
        foreach (var (key, def) in r.Expect(node, "volumes", NodeKind.Map).Map)
        {
            string path = "volumes." + key;
            string? name = null, driver = "local";
            bool external = false;
            var labels = new Dictionary<string, string>();
            var options = new Dictionary<string, string>();
            if (def.Kind != NodeKind.Null)
            {
                foreach (var (k, v) in r.Expect(def, path, NodeKind.Map).Map)
                {
                    string p = path + "." + k;
                    switch (k)
                    {
                        case "name": name = r.String(v, p); break;
                        case "external":
                            external = v.Kind == NodeKind.Map ? true : r.Bool(v, p);
                            if (v.Kind == NodeKind.Map && v["name"] is { } en) name = r.String(en, p + ".name");
                            break;
                        case "driver": driver = r.String(v, p) ?? "local";
                            if (driver != "local") throw r.Error(v, p, $"volume driver {GoQuote.Quote(driver)} is not supported: MiniRun has only the local driver");
                            break;
                        case "driver_opts": foreach (var (ok, ov) in r.KeyValues(v, p)) options[ok] = ov ?? ""; break;
                        case "labels": foreach (var (lk, lv) in r.KeyValues(v, p)) labels[lk] = lv ?? ""; break;
                        default:
                            if (!k.StartsWith("x-", StringComparison.Ordinal)) throw r.Error(v, path, $"additional property {GoQuote.Quote(k)} is not allowed");
                            break;
                    }
                }
            }
            if (!external) { labels[ComposeLabels.Project] = project.Name; labels[ComposeLabels.Volume] = key; }
            project.Volumes[key] = new ComposeVolume(key, name ?? (external ? key : $"{project.Name}_{key}"), external, driver!, options, labels);
        }
    }

    /// <summary>Two services publishing the same host port (same address and protocol) cannot both start: refused before anything is made.</summary>
    public static void CheckPortConflicts(IReadOnlyList<ComposeService> services)
    {
        var seen = new Dictionary<(string, int, string), string>();
        foreach (var s in services)
            foreach (var (ip, port, proto) in s.HostPorts.Distinct())
            {
                foreach (var (key, owner) in seen)
                {
                    bool sameAddress = key.Item1 == ip || key.Item1 == "0.0.0.0" || ip == "0.0.0.0";
                    if (owner != s.Name && sameAddress && key.Item2 == port && key.Item3 == proto)
                        throw new ComposeException($"services {GoQuote.Quote(owner)} and {GoQuote.Quote(s.Name)} both publish host port {port}/{proto}: " +
                            "Bind for " + (ip == "0.0.0.0" ? key.Item1 : ip) + $":{port} would fail for the second");
                }
                seen[(ip, port, proto)] = s.Name;
            }
    }
}

/// <summary>Typed reads of tree nodes; errors name the field path and the place in the file.</summary>
public sealed class NodeReader(List<string> warnings)
{
    public List<string> Warnings { get; } = warnings;

    public ComposeException Error(ComposeNode at, string path, string message) =>
        new($"validating {Path.GetFileName(at.File)}: {ComposeNode.Show(path)}: {message}" + (at.Line > 0 ? $" (line {at.Line}, column {at.Column})" : ""));

    public ComposeNode Expect(ComposeNode n, string path, NodeKind kind)
    {
        if (n.Kind != kind)
            throw Error(n, path, kind switch { NodeKind.Map => "must be a mapping", NodeKind.Seq => "must be a list", _ => "must be a string" });
        return n;
    }

    /// <summary>A scalar as text (numbers and booleans too); null for a null node.</summary>
    public string? String(ComposeNode n, string path) => n.Kind switch
    {
        NodeKind.Null => null,
        NodeKind.Scalar => n.Value,
        _ => throw Error(n, path, "must be a string"),
    };

    public string RequiredString(ComposeNode n, string path) => String(n, path) ?? throw Error(n, path, "must be a string, not null");

    public bool Bool(ComposeNode n, string path) => n.Kind == NodeKind.Scalar && n.Value.ToLowerInvariant() is var v
        ? v switch { "true" or "yes" or "on" => true, "false" or "no" or "off" => false, _ => throw Error(n, path, $"must be a boolean, not {GoQuote.Quote(n.Value)}") }
        : throw Error(n, path, "must be a boolean");

    public long Int(ComposeNode n, string path) =>
        n.Kind == NodeKind.Scalar && long.TryParse(n.Value, out long v) ? v : throw Error(n, path, $"must be an integer{(n.Kind == NodeKind.Scalar ? $", not {GoQuote.Quote(n.Value)}" : "")}");

    /// <summary>A string or a list of strings.</summary>
    public List<string> StringOrList(ComposeNode n, string path) => n.Kind switch
    {
        NodeKind.Null => [],
        NodeKind.Scalar => [n.Value],
        NodeKind.Seq => n.Items.Select((x, i) => RequiredString(x, $"{path}[{i}]")).ToList(),
        _ => throw Error(n, path, "must be a string or a list of strings"),
    };

    public List<string> List(ComposeNode n, string path) => n.Kind switch
    {
        NodeKind.Null => [],
        NodeKind.Seq => n.Items.Select((x, i) => RequiredString(x, $"{path}[{i}]")).ToList(),
        _ => throw Error(n, path, "must be a list of strings"),
    };

    /// <summary>A mapping (K: V, V may be null) or a list of "K=V" / "K"; null value = K given without a value.</summary>
    public List<KeyValuePair<string, string?>> KeyValues(ComposeNode n, string path)
    {
        var result = new List<KeyValuePair<string, string?>>();
        switch (n.Kind)
        {
            case NodeKind.Null: break;
            case NodeKind.Map:
                foreach (var (k, v) in n.Map)
                {
                    if (v.Kind is NodeKind.Map or NodeKind.Seq) throw Error(v, path + "." + k, "must be a string, number, boolean or null");
                    result.Add(new(k, v.Kind == NodeKind.Null ? null : v.Value));
                }
                break;
            case NodeKind.Seq:
                for (int i = 0; i < n.Items.Count; i++)
                {
                    string item = RequiredString(n.Items[i], $"{path}[{i}]");
                    int eq = item.IndexOf('=');
                    result.Add(eq < 0 ? new(item, null) : new(item[..eq], item[(eq + 1)..]));
                }
                break;
            default: throw Error(n, path, "must be a mapping or a list of KEY=VALUE");
        }
        return result;
    }

    /// <summary>A Go-style duration ("1m30s", "500ms", "10s"), or a plain number of seconds.</summary>
    public TimeSpan Duration(ComposeNode n, string path)
    {
        string s = RequiredString(n, path);
        if (ComposeDurations.TryParse(s, out var d)) return d;
        throw Error(n, path, $"invalid duration {GoQuote.Quote(s)} (examples: 10s, 1m30s, 500ms)");
    }
}

public static class ComposeDurations
{
    public static bool TryParse(string s, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        s = s.Trim();
        if (s.Length == 0) return false;
        if (double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double secs))
        { value = TimeSpan.FromSeconds(secs); return true; }
        int i = 0;
        double total = 0;
        while (i < s.Length)
        {
            int start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (start == i) return false;
            double number = double.Parse(s[start..i], System.Globalization.CultureInfo.InvariantCulture);
            int unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i])) i++;
            double scale = s[unitStart..i] switch
            {
                "h" => 3600, "m" => 60, "s" => 1, "ms" => 1e-3, "us" or "µs" => 1e-6, "ns" => 1e-9, _ => -1,
            };
            if (scale < 0) return false;
            total += number * scale;
        }
        value = TimeSpan.FromSeconds(total);
        return true;
    }

    /// <summary>Docker's duration text for the health flags ("1500ms").</summary>
    public static string ToFlag(TimeSpan d) => $"{(long)d.TotalMilliseconds}ms";
}
