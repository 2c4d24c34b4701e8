// CgroupReservation: a note in the container store, containers/.cgroup-ID, that says "`run` is
// making the cgroup of container ID, and nothing records it yet", locked by that `run`.
//
// Why: `run`'s fast path makes the container's cgroup (Engine/ContainerCreator.cs ReserveCgroup)
// and clones init into it before the bundle and the container's record exist, so that init's
// runtime starts while `run` writes them. Once the record exists, rm and the supervisor's end
// release the cgroup by the container's id (Supervisor/ContainerRemover.cs ReleaseReservedCgroup).
// But a `run` killed with SIGKILL between mkdir(2) and the record's write leaves an empty cgroup
// that no record names: nothing would ever remove it. So before the mkdir, `run` writes the
// cgroup's path into this note and holds flock(2) on it until the record is written; then the note
// goes. The kernel drops the lock when the process dies, so a note whose lock can be taken
// belongs to a `run` that died (or finished a moment ago): Sweep, which `run`, `create`, `rm` and
// `container prune` call first, removes the cgroup such a note names (rmdir(2): one still holding
// a process answers EBUSY, and its note stays for the next sweep) unless the container's record
// exists (then the record's rules own the cgroup), and deletes the note. Only a path below the
// host's cgroup2 mount whose last part is the note's own id is ever removed.
//
// Follows: flock(2) (LOCK_EX|LOCK_NB; released when the process ends), rmdir(2) on cgroup2
// (Documentation/admin-guide/cgroup-v2.rst "Basic Operations": an empty cgroup is removed by rmdir).
using System.Text;
using MiniRun.Kernel;

namespace MiniRun.Containers;

public sealed class CgroupReservation : IDisposable
{
    public const string Prefix = ".cgroup-";
    private readonly string _path;
    private FileLock? _lock;

    private CgroupReservation(string path, FileLock held)
    {
        _path = path;
        _lock = held;
    }

    /// <summary>The note for container <paramref name="id"/>'s cgroup at <paramref name="cgroupDir"/>, written and locked (before the mkdir).</summary>
    public static unsafe CgroupReservation Begin(ContainerStore store, string id, string cgroupDir)
    {
        string path = Path.Combine(store.Root, Prefix + id);
        var held = FileLock.Exclusive(path);
        byte[] text = Encoding.UTF8.GetBytes(cgroupDir + "\n");
        fixed (byte* p = text)
        {
            if (Libc.write(held.Descriptor, p, (nuint)text.Length) != text.Length)
            {
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                held.Dispose();
                File.Delete(path);
                throw new KernelException($"write {path}", errno);
            }
        }
        return new CgroupReservation(path, held);
    }

    /// <summary>The record exists (or the cgroup is gone again): the note goes, then its lock.</summary>
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
                bool recorded = File.Exists(Path.Combine(store.DirOf(id), "container.json"));
                string dir = ReadNote(held.Descriptor).Trim();
                if (!recorded && IsCgroupOf(dir, id, cgroupMount))
                {
                    try
                    {
                        Directory.Delete(dir);
                        removed++;
                    }
                    catch (DirectoryNotFoundException) { }
                    catch (IOException) { continue; }   // EBUSY: its init has not left yet; the next sweep
                }
                File.Delete(note);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or KernelException) { }
        }
        return removed;
    }

    /// <summary>The note's text, read through the locked descriptor (a second open would meet FileStream's own flock).</summary>
    private static unsafe string ReadNote(int fd)
    {
        var buffer = new byte[4096];
        int total = 0;
        fixed (byte* p = buffer)
            while (total < buffer.Length)
            {
                nint n = Libc.read(fd, p + total, (nuint)(buffer.Length - total));
                if (n < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Errno.EINTR) continue;
                if (n <= 0) break;
                total += (int)n;
            }
        return Encoding.UTF8.GetString(buffer, 0, total);
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
