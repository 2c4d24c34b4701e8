// VolumeCommands: the engine's side of `volume create|ls|inspect|rm|prune`; the CLI
// (Cli/VolumeCli.cs) only parses and prints.
//
// Why here: removing a volume must be checked against the containers that mount it, under the
// volume store's lock, so a `run` making the same volume at the same time cannot slip between
// the check and the delete. A volume is "in use" while any container (running or not) lists it
// in its mounts.json, as Docker refuses to remove a volume a stopped container still references.
// prune (Docker 23+): without -a only anonymous volumes; with -a every unused one. A volume with
// mount options left mounted by a container that died unnoticed is unmounted before its removal
// (Volumes/VolumeMounts.cs).
//
// Follows: docker-volume-create(1), docker-volume-ls(1) (filters dangling, name, label, driver),
// docker-volume-rm(1), docker-volume-prune(1).
using MiniRun.Containers;
using MiniRun.Volumes;

namespace MiniRun.Engine;

public static class VolumeCommands
{
    /// <summary>`volume create`: the name (a random 64-hex one when none is given).</summary>
    public static Volume Create(string root, string? name, IReadOnlyDictionary<string, string> labels,
        IReadOnlyDictionary<string, string> options, string driver) =>
        new VolumeStore(root).Ensure(string.IsNullOrEmpty(name) ? VolumeStore.RandomName() : name, labels, options, driver).Volume;

    /// <summary>`volume ls` with Docker's filters (dangling=true|false, name=SUBSTRING, label=K or K=V, driver=).</summary>
    public static List<Volume> List(string root, IReadOnlyList<string> filters)
    {
        var parsed = filters.Select(f =>
        {
            int eq = f.IndexOf('=');
            if (eq <= 0) throw new ContainerException($"invalid argument {GoQuote.Quote(f)} for \"-f, --filter\" flag: bad format of filter (expected name=value)", 1);
            string key = f[..eq], value = f[(eq + 1)..];
            if (key is not ("dangling" or "name" or "label" or "driver"))
                throw new ContainerException($"invalid filter '{key}'", 1);
            if (key == "dangling" && value is not ("true" or "false" or "1" or "0"))
                throw new ContainerException($"invalid filter 'dangling={value}'", 1);
            return (Key: key, Value: value);
        }).ToList();
        var volumes = new VolumeStore(root).List();
        return volumes.Where(v => parsed.GroupBy(f => f.Key).All(g => g.Any(f => f.Key switch
        {
            "dangling" => (ContainerMounts.UsersOf(root, v.Name).Count == 0) == f.Value is "true" or "1",
            "name" => v.Name.Contains(f.Value, StringComparison.Ordinal),
            "driver" => v.Driver == f.Value,
            _ => LabelMatches(v, f.Value),
        }))).ToList();
    }

    private static bool LabelMatches(Volume v, string filter)
    {
        int eq = filter.IndexOf('=');
        return eq < 0 ? v.Labels.ContainsKey(filter) : v.Labels.TryGetValue(filter[..eq], out var value) && value == filter[(eq + 1)..];
    }

    /// <summary>The volume NAME, or a ContainerException (exit 1) with Docker's "no such volume".</summary>
    public static Volume Get(string root, string name) =>
        new VolumeStore(root).Find(name) ?? throw new ContainerException($"get {name}: no such volume", 1);

    /// <summary>
    /// `volume rm`: refused while a container uses it (also with -f, as Docker: -f only hides "no
    /// such volume"). Throws ContainerException with Docker's text for this one name.
    /// </summary>
    public static void Remove(string root, string name, bool force)
    {
        var store = new VolumeStore(root);
        store.Locked(() =>
        {
            if (store.Find(name) is null)
            {
                if (force) return 0;
                throw new ContainerException($"get {name}: no such volume", 1);
            }
            var users = ContainerMounts.UsersOf(root, name);
            if (users.Count > 0)
                throw new ContainerException($"remove {name}: volume is in use - [{string.Join(", ", users)}]", 1);
            VolumeMounts.RepairOne(root, store, store.Find(name)!);   // mounted by a container gone without unmounting
            store.Delete(name);
            return 0;
        });
    }

    /// <summary>`volume prune [-a]`: the unused (anonymous, or every with -a) volumes removed, and the bytes they held.</summary>
    public static (List<string> Removed, long Bytes) Prune(string root, bool all, IReadOnlyList<string> labelFilters)
    {
        var store = new VolumeStore(root);
        return store.Locked(() =>
        {
            VolumeMounts.Repair(root);   // mounts whose containers all died unnoticed (a supervisor killed with SIGKILL)
            var removed = new List<string>();
            long bytes = 0;
            foreach (var v in store.List())
            {
                if (!all && !v.Anonymous) continue;
                if (!labelFilters.All(f => LabelMatches(v, f))) continue;
                if (ContainerMounts.UsersOf(root, v.Name).Count > 0) continue;
                bytes += VolumeStore.SizeOf(v);
                store.Delete(v.Name);
                removed.Add(v.Name);
            }
            return (removed, bytes);
        });
    }
}
