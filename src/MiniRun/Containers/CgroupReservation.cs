// CgroupReservation: the store's record of the cgroup `run` makes for a container before the
// runtime core starts it: first a note, containers/.cgroup-ID, locked by that `run`; once the
// container's record exists, the file containers/ID/cgroup.reserved.
//
// Why: `run` makes the container's cgroup (Engine/ContainerCreator.cs ReserveCgroup) and, on its
// fast path, clones init into it before the bundle and the container's record exist, so that
// init's runtime starts while `run` writes them. The core's state learns the cgroup only when it
// starts the container; a `run` killed with SIGKILL before that leaves an empty cgroup nothing
// would remove. Its path cannot be computed again later: without a cgroupsPath it lies beside
// the cgroup of the process that made it (runc's rule), and `rm` may run in another cgroup. So:
//   - before the mkdir, `run` writes the cgroup's path into the note and holds flock(2) on it
//     (a sweep that took the lock before it and deleted the empty note makes it try again);
//   - when the record exists, the note is renamed into the container's directory (Handover),
//     where rm and the supervisor's end read it (Release: rmdir(2), then the file goes);
//   - the kernel drops the lock when the process dies, so a note whose lock can be taken belongs
//     to a `run` that died: Sweep (called first by `run`, `rm`, `container prune` and boot) hands
//     it over if the record exists, else removes the cgroup it names and the note. A cgroup still
//     holding a process answers EBUSY; its note (or file) stays for the next sweep (or rm).
// Only a path below the host's cgroup2 mount whose last part is the container's id is ever removed.
//
// Follows: flock(2) (LOCK_EX|LOCK_NB; released when the process ends), rename(2), rmdir(2) on
// cgroup2 (Documentation/admin-guide/cgroup-v2.rst "Basic Operations": an empty cgroup is removed by rmdir).
using System.Text;
using MiniRun.Kernel;

namespace MiniRun.Containers;

public sealed class CgroupReservation : IDisposable
{
    public const string Prefix = ".cgroup-";
    /// <summary>The file in the container's directory once its record exists.</summary>
    public const string FileName = "cgroup.reserved";
    private readonly string _path;
    private readonly ContainerStore _store;
    private readonly string _id;
    private FileLock? _lock;

    private CgroupReservation(ContainerStore store, string id, string path, FileLock held)
    {
        _store = store;
        _id = id;
        _path = path;
        _lock = held;
    }

    /// <summary>The note for container <paramref name="id"/>'s cgroup at <paramref name="cgroupDir"/>, written and locked (before the mkdir).</summary>
    public static CgroupReservation Begin(ContainerStore store, string id, string cgroupDir)
    {
        string path = Path.Combine(store.Root, Prefix + id);
        var held = FileLock.Exclusive(path);
        // A sweep may take the lock between our open(2) and flock(2), find the note empty and
        // unowned, and delete it: then ours is a lock on a deleted file. Ids are unique, so a
        // note at the path after the lock is ours.
        for (int tries = 0; !File.Exists(path); tries++)
        {
            held.Dispose();
            if (tries == 10) throw new KernelException($"create {path}", Errno.ENOENT);
            held = FileLock.Exclusive(path);
        }
        int errno = FdIo.WriteAll(held.Descriptor, Encoding.UTF8.GetBytes(cgroupDir + "\n"));
        if (errno != 0)
        {
            held.Dispose();
            File.Delete(path);
            throw new KernelException($"write {path}", errno);
        }
        return new CgroupReservation(store, id, path, held);
    }

    /// <summary>The container's record exists: the note becomes its directory's cgroup.reserved (rename(2), under the lock).</summary>
    public void Handover()
    {
        if (_lock is null) return;
        try { File.Move(_path, Path.Combine(_store.DirOf(_id), FileName)); }
        finally
        {
            _lock.Dispose();
            _lock = null;
        }
    }

    /// <summary>Not started, and its cgroup removed with init (or never made): the note goes, then its lock.</summary>
    public void Dispose()
    {
        if (_lock is null) return;
        try { File.Delete(_path); }
        finally
        {
            _lock.Dispose();
            _lock = null;
        }
    }

    /// <summary>
    /// Removes the cgroups of dead `run`s' notes (see the header); returns how many cgroups it removed.
    /// Never throws for one note: a note it cannot handle now stays for the next sweep.
    /// </summary>
    public static int Sweep(ContainerStore store, string? cgroupMount)
    {
        int removed = 0;
        IEnumerable<string> notes;
        try { notes = Directory.EnumerateFiles(store.Root, Prefix + "*").ToList(); }
        catch (DirectoryNotFoundException) { return 0; }
        foreach (string note in notes)
        {
            string id = Path.GetFileName(note)[Prefix.Length..];
            try
            {
                using var held = FileLock.TryExclusive(note);
                if (held is null) continue;   // its `run` is alive (or another sweep has it)
                if (!File.Exists(note)) continue;   // deleted by its owner or a sweep before we locked it
                if (File.Exists(Path.Combine(store.DirOf(id), "container.json")))
                {
                    File.Move(note, Path.Combine(store.DirOf(id), FileName), overwrite: true);   // killed just before its Handover
                    continue;
                }
                if (RemoveCgroup(ReadNote(held.Descriptor), id, cgroupMount)) removed++;
                File.Delete(note);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or KernelException) { }
        }
        return removed;
    }

    /// <summary>
    /// The cgroup reserved for container <paramref name="id"/> (its directory's cgroup.reserved), once
    /// nothing runs in it: removed, and the file with it. One still busy (EBUSY) or already gone is
    /// left as it is; never throws.
    /// </summary>
    public static void Release(ContainerStore store, string id, string? cgroupMount)
    {
        string file = Path.Combine(store.DirOf(id), FileName);
        try
        {
            int fd = Libc.open(file, Libc.O_RDONLY | Libc.O_CLOEXEC | Libc.O_NOFOLLOW, 0);
            if (fd < 0) return;
            string note;
            try { note = ReadNote(fd); }
            finally { Libc.close(fd); }
            RemoveCgroup(note, id, cgroupMount);
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }   // EBUSY: still in use; a later rm
    }

    /// <summary>The note's text, read through the locked descriptor (a second open would meet FileStream's own flock).</summary>
    private static string ReadNote(int fd)
    {
        FdIo.ReadToEnd(fd, out byte[] text, limit: 4096);
        return Encoding.UTF8.GetString(text);
    }

    /// <summary>
    /// rmdir(2) of the cgroup a note names, if it is container <paramref name="id"/>'s (IsCgroupOf):
    /// true when removed, false when not its cgroup or already gone. EBUSY (a process still in it)
    /// throws IOException, so the caller keeps the note for later.
    /// </summary>
    private static bool RemoveCgroup(string note, string id, string? cgroupMount)
    {
        string dir = note.Trim();
        if (!IsCgroupOf(dir, id, cgroupMount)) return false;
        try
        {
            Directory.Delete(dir);
            return true;
        }
        catch (DirectoryNotFoundException) { return false; }
    }

    /// <summary>True for MOUNT/.../ID with no "." or ".." part: the only kind of path a sweep removes.</summary>
    internal static bool IsCgroupOf(string dir, string id, string? cgroupMount)
    {
        if (cgroupMount is null || !Naming.IsFullId(id)) return false;
        string mount = cgroupMount.TrimEnd('/') + "/";
        if (!dir.StartsWith(mount, StringComparison.Ordinal)) return false;
        var parts = dir[mount.Length..].Split('/');
        return parts[^1] == id && parts.All(p => p.Length > 0 && p != "." && p != "..");
    }
}
