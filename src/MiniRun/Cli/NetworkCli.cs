// NetworkCli: `network create|ls|inspect|rm|prune|connect|disconnect` and `port`, with Docker's
// flags, columns and messages; the work is the engine's (Engine/NetworkCommands.cs).
//
// Follows: docker-network-create(1), docker-network-ls(1), docker-network-inspect(1),
// docker-network-rm(1), docker-network-prune(1), docker-network-connect(1),
// docker-network-disconnect(1), docker-port(1).
using System.CommandLine;
using System.Text.Json;
using MiniRun.Containers;
using MiniRun.Engine;
using MiniRun.Network;

namespace MiniRun.Cli;

public static class NetworkCli
{
    public static IEnumerable<Command> Build(Option<string> rootOption, Option<bool> debugOption)
    {
        var network = new Command("network", "Manage networks");
        network.Subcommands.Add(Program.Verb("create", "Create a network", rootOption, debugOption, cmd =>
        {
            var driver = new Option<string>("--driver", "-d") { Description = "Driver to manage the Network (bridge)", DefaultValueFactory = _ => "bridge" };
            var subnet = new Option<string?>("--subnet") { Description = "Subnet in CIDR format that represents a network segment" };
            var gateway = new Option<string?>("--gateway") { Description = "IPv4 Gateway for the master subnet" };
            var isInternal = new Option<bool>("--internal") { Description = "Restrict external access to the network" };
            var label = new Option<string[]>("--label") { Description = "Set metadata on a network" };
            var name = new Argument<string>("NETWORK");
            foreach (var o in new Option[] { driver, subnet, gateway, isInternal, label }) cmd.Options.Add(o);
            cmd.Arguments.Add(name);
            return p =>
            {
                RunCommand.RequireRoot("network create");
                var labels = (p.GetValue(label) ?? []).Select(l => l.Split('=', 2)).ToDictionary(a => a[0], a => a.Length > 1 ? a[1] : "");
                var n = NetworkCommands.Create(p.GetValue(rootOption)!, p.GetValue(name)!, p.GetValue(driver)!, p.GetValue(subnet),
                    p.GetValue(gateway), p.GetValue(isInternal), labels);
                Console.WriteLine(n.Id);
                return 0;
            };
        }));
        network.Subcommands.Add(Ls("ls", rootOption, debugOption));
        network.Subcommands.Add(Program.Verb("inspect", "Display detailed information on one or more networks", rootOption, debugOption, cmd =>
        {
            var format = new Option<string?>("--format", "-f") { Description = "Format output using the given Go template" };
            var names = new Argument<string[]>("NETWORK") { Arity = ArgumentArity.OneOrMore };
            cmd.Options.Add(format);
            cmd.Arguments.Add(names);
            return p => Inspect(p.GetValue(rootOption)!, p.GetValue(names)!, Console.Out, p.GetValue(format));
        }));
        network.Subcommands.Add(Program.Verb("rm", "Remove one or more networks", rootOption, debugOption, cmd =>
        {
            var force = new Option<bool>("--force", "-f") { Description = "Do not error if the network does not exist" };
            var names = new Argument<string[]>("NETWORK") { Arity = ArgumentArity.OneOrMore };
            cmd.Options.Add(force);
            cmd.Arguments.Add(names);
            return p =>
            {
                RunCommand.RequireRoot("network rm");
                var errors = NetworkCommands.Remove(p.GetValue(rootOption)!, p.GetValue(names)!, Console.WriteLine);
                if (p.GetValue(force)) errors.RemoveAll(e => e.Message.EndsWith(" not found", StringComparison.Ordinal));
                foreach (var e in errors) ErrorReport.Write(Console.Error, "network rm", e);
                return errors.Count == 0 ? 0 : 1;
            };
        }));
        network.Subcommands.Add(Program.Verb("prune", "Remove all unused networks", rootOption, debugOption, cmd =>
        {
            var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
            cmd.Options.Add(force);
            return p =>
            {
                RunCommand.RequireRoot("network prune");
                if (!p.GetValue(force) && !ContainerGroupCli.Confirm("WARNING! This will remove all custom networks not used by at least one container.", Console.Out, Console.In))
                    return 0;
                var removed = NetworkCommands.Prune(p.GetValue(rootOption)!);
                if (removed.Count > 0)
                {
                    Console.WriteLine("Deleted Networks:");
                    foreach (var n in removed) Console.WriteLine(n);
                    Console.WriteLine();
                }
                return 0;
            };
        }));
        network.Subcommands.Add(Program.Verb("connect", "Connect a container to a network", rootOption, debugOption, cmd =>
        {
            var alias = new Option<string[]>("--alias") { Description = "Add network-scoped alias for the container" };
            var ip = new Option<string?>("--ip") { Description = "IPv4 address (e.g., 172.30.100.104)" };
            var net = new Argument<string>("NETWORK");
            var container = new Argument<string>("CONTAINER");
            cmd.Options.Add(alias);
            cmd.Options.Add(ip);
            cmd.Arguments.Add(net);
            cmd.Arguments.Add(container);
            return p =>
            {
                RunCommand.RequireRoot("network connect");
                NetworkCommands.Connect(p.GetValue(rootOption)!, p.GetValue(net)!, p.GetValue(container)!, p.GetValue(alias) ?? [], p.GetValue(ip));
                return 0;
            };
        }));
        network.Subcommands.Add(Program.Verb("disconnect", "Disconnect a container from a network", rootOption, debugOption, cmd =>
        {
            var force = new Option<bool>("--force", "-f") { Description = "Force the container to disconnect from a network" };
            var net = new Argument<string>("NETWORK");
            var container = new Argument<string>("CONTAINER");
            cmd.Options.Add(force);
            cmd.Arguments.Add(net);
            cmd.Arguments.Add(container);
            return p =>
            {
                RunCommand.RequireRoot("network disconnect");
                NetworkCommands.Disconnect(p.GetValue(rootOption)!, p.GetValue(net)!, p.GetValue(container)!);
                return 0;
            };
        }));
        yield return network;

        yield return Program.Verb("port", "List port mappings or a specific mapping for the container", rootOption, debugOption, cmd =>
        {
            var container = new Argument<string>("CONTAINER");
            var privatePort = new Argument<string?>("PRIVATE_PORT[/PROTO]") { Arity = ArgumentArity.ZeroOrOne };
            cmd.Arguments.Add(container);
            cmd.Arguments.Add(privatePort);
            return p => Port(p.GetValue(rootOption)!, p.GetValue(container)!, p.GetValue(privatePort), Console.Out);
        });
    }

    private static Command Ls(string name, Option<string> rootOption, Option<bool> debugOption) =>
        Program.Verb(name, "List networks", rootOption, debugOption, cmd =>
        {
            var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display network IDs" };
            var noTrunc = new Option<bool>("--no-trunc") { Description = "Do not truncate the output" };
            var filter = FilterOption.Create("Provide filter values (driver=, id=, name=, label=, type=custom|builtin)");
            cmd.Options.Add(quiet);
            cmd.Options.Add(noTrunc);
            cmd.Options.Add(filter);
            var format = ImageCli.FormatOption();
            cmd.Options.Add(format);
            cmd.Aliases.Add("list");
            return p =>
            {
                var all = new NetworkStore(p.GetValue(rootOption)!).List();
                var shown = all.Where(n => Matches(n, p.GetValue(filter) ?? [])).OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
                string Id(NetworkRecord n) => p.GetValue(noTrunc) ? n.Id : n.Id[..12];
                if (p.GetValue(format) is { Length: > 0 } f && !(p.GetValue(quiet) && f.Trim() == "table"))
                {
                    VolumeNetworkFormat.Networks(Console.Out, f, shown, p.GetValue(noTrunc));
                    return 0;
                }
                if (p.GetValue(quiet)) { foreach (var n in shown) Console.WriteLine(Id(n)); return 0; }
                Console.Write(HumanFormat.Table(["NETWORK ID", "NAME", "DRIVER", "SCOPE"],
                    shown.Select(n => (IReadOnlyList<string>)[Id(n), n.Name, n.Driver, "local"])));
                return 0;
            };
        });

    /// <summary>Docker's network filters; values of one key are ORed, keys are ANDed.</summary>
    private static bool Matches(NetworkRecord n, IReadOnlyList<string> filters)
    {
        foreach (var group in filters.Select(f => f.Split('=', 2)).GroupBy(a => a[0]))
        {
            var values = group.Select(a => a.Length > 1 ? a[1] : "").ToList();
            bool ok = group.Key switch
            {
                "name" => values.Any(v => n.Name.Contains(v, StringComparison.Ordinal)),
                "id" => values.Any(v => n.Id.StartsWith(v, StringComparison.Ordinal)),
                "driver" => values.Contains(n.Driver),
                "type" => values.Any(v => v == (n.IsUserDefined ? "custom" : "builtin")),
                "label" => values.Any(v => v.Split('=', 2) is var kv && n.Labels.TryGetValue(kv[0], out var val) && (kv.Length == 1 || val == kv[1])),
                _ => throw CliError.Daemon($"invalid filter '{group.Key}'"),
            };
            if (!ok) return false;
        }
        return true;
    }

    public static int Inspect(string root, IReadOnlyList<string> names, TextWriter output, string? format = null)
    {
        var store = new NetworkStore(root);
        var found = new List<NetworkRecord>();
        var missing = new List<string>();
        foreach (var name in names)
            if (store.Find(name) is { } n) found.Add(n); else missing.Add(name);
        using (var stream = new MemoryStream())
        {
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, IndentSize = 4 }))
            {
                w.WriteStartArray();
                foreach (var n in found) Write(w, store, n);
                w.WriteEndArray();
            }
            if (format is null) output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
            else
            {
                using var doc = JsonDocument.Parse(stream.ToArray());
                foreach (var n in doc.RootElement.EnumerateArray()) output.WriteLine(ImageInspectTemplate.Render(format, n));
            }
        }
        foreach (var m in missing) ErrorReport.Write(Console.Error, "network inspect", new NetworkException($"network {m} not found"));
        return missing.Count == 0 ? 0 : 1;
    }

    private static void Write(Utf8JsonWriter w, NetworkStore store, NetworkRecord n)
    {
        w.WriteStartObject();
        w.WriteString("Name", n.Name);
        w.WriteString("Id", n.Id);
        w.WriteString("Created", ImageInspect.GoTime(n.Created));
        w.WriteString("Scope", "local");
        w.WriteString("Driver", n.Driver);
        w.WriteBoolean("EnableIPv6", false);
        w.WriteStartObject("IPAM");
        w.WriteString("Driver", "default");
        w.WriteNull("Options");
        w.WriteStartArray("Config");
        if (n.Subnet is not null)
        {
            w.WriteStartObject();
            w.WriteString("Subnet", n.Subnet.ToString());
            w.WriteString("Gateway", n.Gateway?.ToString());
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteBoolean("Internal", n.Internal);
        w.WriteBoolean("Attachable", false);
        w.WriteBoolean("Ingress", false);
        w.WriteStartObject("ConfigFrom");
        w.WriteString("Network", "");
        w.WriteEndObject();
        w.WriteBoolean("ConfigOnly", false);
        w.WriteStartObject("Containers");
        foreach (var e in store.Endpoints(n).OrderBy(e => e.ContainerId, StringComparer.Ordinal))
        {
            w.WriteStartObject(e.ContainerId);
            w.WriteString("Name", e.ContainerName);
            w.WriteString("EndpointID", ContainerNetwork.EndpointId(e.ContainerId, n.Id));
            w.WriteString("MacAddress", "");
            w.WriteString("IPv4Address", $"{e.Address}/{e.PrefixLength}");
            w.WriteString("IPv6Address", "");
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteStartObject("Options");
        if (n.Bridge is not null) w.WriteString("com.docker.network.bridge.name", n.Bridge);
        w.WriteEndObject();
        w.WriteStartObject("Labels");
        foreach (var (k, v) in n.Labels.OrderBy(l => l.Key, StringComparer.Ordinal)) w.WriteString(k, v);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>`port CONTAINER [PRIVATE_PORT[/PROTO]]`: Docker's "80/tcp -> 0.0.0.0:8080" lines.</summary>
    public static int Port(string root, string container, string? privatePort, TextWriter output)
    {
        var containers = new ContainerStore(root);
        var c = containers.Find(container);
        var state = ContainerLiveness.IsRunning(c) ? ContainerNetworkFile.Read(containers.DirOf(c.Id)) : null;
        var ports = state?.Ports ?? [];
        if (privatePort is not null)
        {
            var (port, proto) = privatePort.Split('/') is var a && a.Length == 2 ? (a[0], a[1]) : (privatePort, "tcp");
            var match = ports.Where(b => b.ContainerPort.ToString() == port && b.Protocol == proto).ToList();
            if (match.Count == 0)
                throw new CliError($"Error: No public port '{port}/{proto}' published for {container}", 1);
            foreach (var b in match) output.WriteLine($"{(b.HostIp.Length == 0 ? "0.0.0.0" : b.HostIp)}:{b.HostPort}");
            return 0;
        }
        foreach (var line in PortSpec.PortLines(ports)) output.WriteLine(line);
        return 0;
    }
}
