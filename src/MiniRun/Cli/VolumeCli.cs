// VolumeCli: `volume create|ls|inspect|rm|prune` with Docker's flags, columns and messages, and
// the volume flags of run and create (-v/--volume, --mount, --volumes-from); the work is the
// engine's (Engine/VolumeCommands.cs, Volumes/ContainerMounts.cs).
//
// Why the run flags are parsed here too: a bad -v or --mount is one line and exit 125 before
// anything is pulled or created, as with Docker; the engine parses the same text again.
//
// Follows: docker-volume-create(1), docker-volume-ls(1), docker-volume-inspect(1),
// docker-volume-rm(1), docker-volume-prune(1); docker-run(1) "-v", "--mount", "--volumes-from".
using System.CommandLine;
using System.Text.Json;
using MiniRun.Containers;
using MiniRun.Engine;
using MiniRun.Spec;
using MiniRun.Volumes;

namespace MiniRun.Cli;

public static class VolumeCli
{
    /// <summary>-v, --mount and --volumes-from of run and create.</summary>
    public sealed class RunFlags
    {
        public required Option<string[]> Volume, Mount, VolumesFrom;
        public IEnumerable<Option> All => [Volume, Mount, VolumesFrom];

        public static RunFlags Options() => new()
        {
            Volume = new Option<string[]>("--volume", "-v") { Description = "Bind mount a volume: HOST_PATH:PATH[:ro], NAME:PATH[:ro] (named volume), or PATH (anonymous volume)" },
            Mount = new Option<string[]>("--mount") { Description = "Attach a filesystem mount: type=bind|volume|tmpfs,source=,target=[,readonly][,...]" },
            VolumesFrom = new Option<string[]>("--volumes-from") { Description = "Mount volumes from the specified container(s), CONTAINER[:ro|rw]" },
        };

        /// <summary>Checks every value (CliError, exit 125, Docker's text) and puts them on <paramref name="o"/>.</summary>
        public void Read(ParseResult p, RunOptions o)
        {
            o.Volumes = (p.GetValue(Volume) ?? []).ToList();
            o.Mounts = (p.GetValue(Mount) ?? []).ToList();
            o.VolumesFrom = (p.GetValue(VolumesFrom) ?? []).ToList();
            try
            {
                foreach (var v in o.Volumes) MountFlags.ParseVolume(v);
                foreach (var m in o.Mounts) MountFlags.ParseMount(m);
                foreach (var f in o.VolumesFrom) MountFlags.ParseVolumesFrom(f);
            }
            catch (RunConfigException e)
            {
                throw e.Message.StartsWith("invalid argument ", StringComparison.Ordinal) ? new CliError(e.Message) : CliError.Daemon(e.Message, 125);
            }
        }
    }

    public static IEnumerable<Command> Build(Option<string> rootOption, Option<bool> debugOption)
    {
        var volume = new Command("volume", "Manage volumes");
        volume.Subcommands.Add(Program.Verb("create", "Create a volume", rootOption, debugOption, cmd =>
        {
            var driver = new Option<string>("--driver", "-d") { Description = "Specify volume driver name", DefaultValueFactory = _ => "local" };
            var label = new Option<string[]>("--label") { Description = "Set metadata for a volume" };
            var opt = new Option<string[]>("--opt", "-o") { Description = "Set driver specific options" };
            var name = new Argument<string?>("VOLUME") { Arity = ArgumentArity.ZeroOrOne };
            foreach (var o in new Option[] { driver, label, opt }) cmd.Options.Add(o);
            cmd.Arguments.Add(name);
            return p =>
            {
                var v = VolumeCommands.Create(p.GetValue(rootOption)!, p.GetValue(name), Pairs(p.GetValue(label)), Pairs(p.GetValue(opt)), p.GetValue(driver)!);
                Console.WriteLine(v.Name);
                return 0;
            };
        }));
        foreach (var alias in new[] { "ls", "list" })
            volume.Subcommands.Add(Program.Verb(alias, "List volumes", rootOption, debugOption, cmd =>
            {
                var quiet = new Option<bool>("--quiet", "-q") { Description = "Only display volume names" };
                var filter = FilterOption.Create("Provide filter values (e.g. \"dangling=true\")");
                cmd.Options.Add(quiet);
                cmd.Options.Add(filter);
                var format = ImageCli.FormatOption();
                cmd.Options.Add(format);
                return p =>
                {
                    var volumes = VolumeCommands.List(p.GetValue(rootOption)!, p.GetValue(filter) ?? []);
                    if (p.GetValue(format) is { Length: > 0 } f && !(p.GetValue(quiet) && f.Trim() == "table"))
                    {
                        VolumeNetworkFormat.Volumes(Console.Out, f, volumes);
                        return 0;
                    }
                    if (!p.GetValue(quiet)) Console.WriteLine("DRIVER    VOLUME NAME");
                    foreach (var v in volumes) Console.WriteLine(p.GetValue(quiet) ? v.Name : $"{v.Driver,-10}{v.Name}");
                    return 0;
                };
            }));
        volume.Subcommands.Add(Program.Verb("inspect", "Display detailed information on one or more volumes", rootOption, debugOption, cmd =>
        {
            var format = new Option<string?>("--format", "-f") { Description = "Format output using a Go template" };
            var names = new Argument<string[]>("VOLUME") { Arity = ArgumentArity.OneOrMore };
            cmd.Options.Add(format);
            cmd.Arguments.Add(names);
            return p => Inspect(p.GetValue(rootOption)!, p.GetValue(names)!, p.GetValue(format));
        }));
        foreach (var alias in new[] { "rm", "remove" })
            volume.Subcommands.Add(Program.Verb(alias, "Remove one or more volumes", rootOption, debugOption, cmd =>
            {
                var force = new Option<bool>("--force", "-f") { Description = "Do not error if the volume does not exist" };
                var names = new Argument<string[]>("VOLUME") { Arity = ArgumentArity.OneOrMore };
                cmd.Options.Add(force);
                cmd.Arguments.Add(names);
                return p =>
                {
                    int status = 0;
                    foreach (var name in p.GetValue(names)!)
                    {
                        try
                        {
                            VolumeCommands.Remove(p.GetValue(rootOption)!, name, p.GetValue(force));
                            Console.WriteLine(name);
                        }
                        catch (ContainerException e)
                        {
                            ErrorReport.Write(Console.Error, "volume rm", e);
                            status = 1;
                        }
                    }
                    return status;
                };
            }));
        volume.Subcommands.Add(Program.Verb("prune", "Remove unused local volumes", rootOption, debugOption, cmd =>
        {
            var force = new Option<bool>("--force", "-f") { Description = "Do not prompt for confirmation" };
            var all = new Option<bool>("--all", "-a") { Description = "Remove all unused volumes, not just anonymous ones" };
            var filter = FilterOption.Create("Provide filter values (e.g. \"label=<label>\")", shorthand: false);
            foreach (var o in new Option[] { force, all, filter }) cmd.Options.Add(o);
            return p =>
            {
                bool everything = p.GetValue(all);
                if (!p.GetValue(force) && !ContainerGroupCli.Confirm(everything
                        ? "WARNING! This will remove all local volumes not used by at least one container."
                        : "WARNING! This will remove anonymous local volumes not used by at least one container.", Console.Out, Console.In))
                    return 0;
                var labels = new List<string>();
                foreach (var f in p.GetValue(filter) ?? [])
                {
                    if (!f.StartsWith("label=", StringComparison.Ordinal))
                        throw CliError.Daemon($"invalid filter '{f.Split('=')[0]}'");
                    labels.Add(f["label=".Length..]);
                }
                var (removed, bytes) = VolumeCommands.Prune(p.GetValue(rootOption)!, everything, labels);
                if (removed.Count > 0)
                {
                    Console.WriteLine("Deleted Volumes:");
                    foreach (var n in removed) Console.WriteLine(n);
                    Console.WriteLine();
                }
                Console.WriteLine($"Total reclaimed space: {HumanFormat.Size(bytes)}");
                return 0;
            };
        }));
        yield return volume;
    }

    private static Dictionary<string, string> Pairs(string[]? values) =>
        (values ?? []).Select(l => l.Split('=', 2)).ToDictionary(a => a[0], a => a.Length > 1 ? a[1] : "");

    private static int Inspect(string root, IReadOnlyList<string> names, string? format)
    {
        var found = new List<Volume>();
        var missing = new List<ContainerException>();
        foreach (var name in names)
        {
            try { found.Add(VolumeCommands.Get(root, name)); }
            catch (ContainerException e) { missing.Add(e); }
        }
        var docs = found.Select(v => InspectCommand.Serialize(w => Write(w, v))).ToList();
        if (format is null) Console.WriteLine(InspectCommand.JsonArray(docs));
        else
            foreach (var d in docs)
            {
                using var doc = JsonDocument.Parse(d);
                Console.WriteLine(ImageInspectTemplate.Render(format, doc.RootElement));
            }
        foreach (var m in missing) ErrorReport.Write(Console.Error, "volume inspect", m);
        return missing.Count == 0 ? 0 : 1;
    }

    /// <summary>Docker's volume inspect document (fields in its order).</summary>
    public static void Write(Utf8JsonWriter w, Volume v)
    {
        w.WriteStartObject();
        w.WriteString("CreatedAt", v.CreatedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("Driver", v.Driver);
        Map("Labels", v.Labels);
        w.WriteString("Mountpoint", v.Mountpoint);
        w.WriteString("Name", v.Name);
        Map("Options", v.Options);
        w.WriteString("Scope", "local");
        w.WriteEndObject();

        void Map(string name, Dictionary<string, string> values)
        {
            if (values.Count == 0) { w.WriteNull(name); return; }
            w.WriteStartObject(name);
            foreach (var (k, val) in values.OrderBy(x => x.Key, StringComparer.Ordinal)) w.WriteString(k, val);
            w.WriteEndObject();
        }
    }
}
