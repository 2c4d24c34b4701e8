// ContainerStore: the containers/ directory under the MiniRun root: one directory per container.
//
// Why: each container's directory holds its OCI bundle (config.json), its record
// (container.json), the overlay upper and work directories, and the /etc files MiniRun writes.
// Creating and naming containers happens under an exclusive lock on containers/.lock, so two
// `run --name web` at once cannot both get the name. Everything is a plain file under a root
// path, so tests use a temporary root.
//
// Layout: <root>/containers/<64-hex id>/{config.json, container.json, rootfs/, upper/, work/,
//         hostname, hosts, resolv.conf}
using MiniRun.Spec;

namespace MiniRun.Containers;

public sealed class ContainerStore
{
    public string Root { get; }

    public ContainerStore(string minirunRoot)
    {
        Root = Path.Combine(minirunRoot, "containers");
        Directory.CreateDirectory(Root);
    }

    public string DirOf(string id) => Path.Combine(Root, id);
    private string RecordPath(string id) => Path.Combine(DirOf(id), "container.json");

    /// <summary>Runs <paramref name="action"/> holding the store's exclusive lock (flock on containers/.lock).</summary>
    public T Locked<T>(Func<T> action)
    {
        using var lockFile = new FileStream(Path.Combine(Root, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        FileLock.Exclusive(lockFile);
        return action();
    }

    /// <summary>Reserves a new container: a fresh id and a unique name; creates its directory.</summary>
    public ContainerRecord Create(string? name, Func<ContainerRecord, ContainerRecord> fill)
    {
        return Locked(() =>
        {
            if (name is not null)
            {
                Naming.ValidateName(name);
                var existing = List().FirstOrDefault(c => c.Name == name);
                if (existing is not null)
                    throw new RunConfigException($"Conflict. The container name \"/{name}\" is already in use by container \"{existing.Id}\". You have to remove (or rename) that container to be able to reuse that name.");
            }
            var taken = List().Select(c => c.Name).ToHashSet();
            string id = Naming.NewId();
            string chosen = name is not null ? Naming.ValidateName(name) : Naming.GenerateUniqueName(taken.Contains);
            var record = fill(new ContainerRecord { Id = id, Name = chosen, Created = DateTimeOffset.UtcNow });
            Directory.CreateDirectory(DirOf(id));
            record.Save(RecordPath(id));
            return record;
        });
    }

    public void Save(ContainerRecord record) => record.Save(RecordPath(record.Id));

    public IReadOnlyList<ContainerRecord> List()
    {
        var result = new List<ContainerRecord>();
        foreach (var dir in Directory.EnumerateDirectories(Root))
        {
            string path = Path.Combine(dir, "container.json");
            if (!File.Exists(path)) continue;
            try { result.Add(ContainerRecord.Load(path)); }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidDataException) { }
        }
        return result.OrderByDescending(c => c.Created).ToList();
    }

    /// <summary>Finds a container by full id, unique id prefix or name (Docker's rules).</summary>
    public ContainerRecord Find(string idOrName)
    {
        var all = List();
        var byName = all.FirstOrDefault(c => c.Name == idOrName || "/" + c.Name == idOrName);
        if (byName is not null) return byName;
        var matches = all.Where(c => c.Id.StartsWith(idOrName, StringComparison.Ordinal)).ToList();
        if (idOrName.Length > 0 && matches.Count == 1) return matches[0];
        if (matches.Count > 1)
            throw new RunConfigException($"multiple IDs found with provided prefix: {idOrName}");
        throw new ContainerNotFoundException(idOrName);
    }

    public void Delete(string id)
    {
        string dir = DirOf(id);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }
}

public sealed class ContainerNotFoundException : Exception
{
    public ContainerNotFoundException(string idOrName) : base($"No such container: {idOrName}") { }
}
