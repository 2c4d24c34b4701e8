// ContainerStore: the containers/ directory under the MiniRun root: one directory per container.
//
// Why: each container's directory holds its OCI bundle (config.json), its record
// (container.json), the overlay upper and work directories, and the /etc files MiniRun writes.
// Creating and naming containers happens under an exclusive lock on containers/.lock, so two
// `run --name web` at once cannot both get the name. Names are files in containers/.names/
// holding the container's id: checking or finding a name opens one file instead of reading every
// container's record, so `run` stays as fast with 100 containers as with one. Everything is a
// plain file under a root path, so tests use a temporary root.
//
// Layout: <root>/containers/<64-hex id>/{config.json, container.json, rootfs/, upper/, work/,
//         hostname, hosts, resolv.conf}; <root>/containers/.names/<name> -> id;
//         <root>/containers/.removed-<id>/ while a removed container's files are being deleted;
//         <root>/containers/.cgroup-<id> while `run` makes a cgroup no record names yet (CgroupReservation)
using MiniRun.Spec;

namespace MiniRun.Containers;

public sealed class ContainerStore
{
    public string Root { get; }
    /// <summary>The runtime core's state root for these containers (ROOT/runtime: `minirun oci --root ROOT/runtime list` shows them).</summary>
    public string RuntimeRoot { get; }

    public ContainerStore(string minirunRoot)
    {
        Root = Path.Combine(minirunRoot, "containers");
        RuntimeRoot = Path.Combine(minirunRoot, "runtime");
        MiniRun.Security.StoreAccess.Secure(minirunRoot);   // the store is root's alone (0700)
        Directory.CreateDirectory(Root, MiniRun.Security.StoreAccess.OwnerOnly);
        Directory.CreateDirectory(Path.Combine(Root, ".names"));
    }

    private string NamePath(string name) => Path.Combine(Root, ".names", name);

    /// <summary>The id holding <paramref name="name"/>, or null (a name whose container is gone is free).</summary>
    private string? NameOwner(string name)
    {
        string? id = MiniRun.Kernel.FileText.ReadIfExists(NamePath(name))?.Trim();
        return id is not null && File.Exists(RecordPath(id)) ? id : null;
    }

    public string DirOf(string id) => Path.Combine(Root, id);
    private string RecordPath(string id) => Path.Combine(DirOf(id), "container.json");

    /// <summary>Runs <paramref name="action"/> holding the store's exclusive lock (flock on containers/.lock).</summary>
    public T Locked<T>(Func<T> action)
    {
        using var held = FileLock.Exclusive(Path.Combine(Root, ".lock"));
        return action();
    }

    /// <summary>
    /// Reserves a new container: a fresh id (or <paramref name="id"/>, chosen earlier by the caller:
    /// `run` names the container's cgroup after it before this) and a unique name; creates its directory.
    /// </summary>
    public ContainerRecord Create(string? name, Func<ContainerRecord, ContainerRecord> fill, string? id = null)
    {
        return Locked(() =>
        {
            if (name is not null)
            {
                name = Naming.ValidateName(name);
                if (NameOwner(name) is string owner)
                    throw new RunConfigException($"Conflict. The container name \"/{name}\" is already in use by container {GoQuote.Quote(owner)}. You have to remove (or rename) that container to be able to reuse that name.");
            }
            if (id is not null && (!Naming.IsFullId(id) || Directory.Exists(DirOf(id))))
                throw new InvalidOperationException($"container id {GoQuote.Quote(id)} is not a fresh id");
            id ??= Naming.NewId();
            string chosen = name ?? Naming.GenerateUniqueName(n => NameOwner(n) is not null);
            var record = fill(new ContainerRecord { Id = id, Name = chosen, Created = DateTimeOffset.UtcNow });
            Directory.CreateDirectory(DirOf(id));
            record.Save(RecordPath(id));
            File.WriteAllText(NamePath(chosen), id);
            return record;
        });
    }

    public void Save(ContainerRecord record) => record.Save(RecordPath(record.Id));

    /// <summary>The record as it is on disk now.</summary>
    public ContainerRecord Load(string id) => ContainerRecord.Load(RecordPath(id));

    /// <summary>
    /// Read-modify-write of one container's record under its own lock (flock on
    /// containers/ID/.lock): concurrent commands (`stop` while the supervisor records an exit,
    /// `rm -f` while `stop` runs) never lose each other's changes. Returns the saved record;
    /// throws ContainerNotFoundException when the container is gone.
    /// </summary>
    public ContainerRecord Update(string id, Action<ContainerRecord> change)
    {
        using var held = LockContainer(id);
        var record = Load(id);
        change(record);
        Save(record);
        return record;
    }

    /// <summary>The per-container lock (containers/ID/.lock), for a longer critical section than Update.</summary>
    public FileLock LockContainer(string id)
    {
        if (!File.Exists(RecordPath(id))) throw new ContainerNotFoundException(id);
        try { return FileLock.Exclusive(Path.Combine(DirOf(id), ".lock")); }
        catch (MiniRun.Kernel.KernelException e) when (e.Errno == MiniRun.Kernel.Errno.ENOENT) { throw new ContainerNotFoundException(id); }
    }

    public IReadOnlyList<ContainerRecord> List()
    {
        var result = new List<ContainerRecord>();
        foreach (var dir in Directory.EnumerateDirectories(Root))
        {
            if (Path.GetFileName(dir).StartsWith('.')) continue;
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
        string name = idOrName.StartsWith('/') ? idOrName[1..] : idOrName;
        if (Naming.IsValidName(name) && NameOwner(name) is string owner)
            return ContainerRecord.Load(RecordPath(owner));
        var matches = idOrName.Length == 0 ? [] : Directory.EnumerateDirectories(Root)
            .Select(Path.GetFileName).Where(id => id!.StartsWith(idOrName, StringComparison.Ordinal) && File.Exists(RecordPath(id))).ToList();
        if (matches.Count == 1) return ContainerRecord.Load(RecordPath(matches[0]!));
        if (matches.Count > 1)
            throw new RunConfigException($"multiple IDs found with provided prefix: {idOrName}");
        throw new ContainerNotFoundException(idOrName);
    }

    /// <summary>Removes the container's directory, then its name (so the name is never free while the directory exists).</summary>
    public void Delete(ContainerRecord record)
    {
        if (Retire(record) is string retired) DeleteRetired(retired);
    }

    /// <summary>
    /// Takes the container out of the store at once: one rename(2) moves its directory to
    /// containers/.removed-ID (which ps, find and names ignore), then its name is freed. Deleting
    /// the files (DeleteRetired) can then happen after the caller has answered: `run --rm` returns
    /// when the container is gone from the store, not when its upper directory's blocks are freed.
    /// Returns the retired directory, or null when the container's directory was already gone.
    /// </summary>
    public string? Retire(ContainerRecord record)
    {
        string dir = DirOf(record.Id), retired = Path.Combine(Root, RetiredPrefix + record.Id);
        string? result = null;
        try
        {
            Directory.Move(dir, retired);
            result = retired;
        }
        catch (DirectoryNotFoundException) { }   // removed by someone else meanwhile
        if (NameOwner(record.Name) is null) File.Delete(NamePath(record.Name));
        return result;
    }

    /// <summary>
    /// Deletes a retired directory; one that vanished meanwhile (another remover) is fine. Names
    /// go to unlinkat as bytes (TreeRemover), so a file the container named "\xffx" goes too.
    /// </summary>
    public static void DeleteRetired(string retired) => MiniImage.Layers.TreeRemover.DeletePath(retired);

    /// <summary>Retired directories left by a remover that died half-way (boot sweeps them; nothing else runs then).</summary>
    public IEnumerable<string> LeftoverRetired() =>
        Directory.EnumerateDirectories(Root, RetiredPrefix + "*");

    private const string RetiredPrefix = ".removed-";
}

public sealed class ContainerNotFoundException : Exception
{
    public ContainerNotFoundException(string idOrName) : base($"No such container: {idOrName}") { }
}
