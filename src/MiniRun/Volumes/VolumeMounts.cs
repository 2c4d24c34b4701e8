// VolumeMounts: the local driver's options (`volume create -o type=tmpfs -o device=tmpfs
// -o o=size=100m,uid=1000`, `-o type=none -o o=bind -o device=/host/dir`, nfs, ext4...): checked
// at create, and the filesystem they name mounted on the volume's _data while running containers
// use it.
//
// Why: Docker's local driver mounts such a volume on first use and unmounts it when the last
// container using it ends, so a tmpfs volume's content lives exactly as long as some container
// runs with it. The engine mounts on the host, before the runtime core starts the container, so the
// core's bind mount of _data into the container takes the mounted filesystem; nothing is mounted
// inside the cloned child.
//
// The refcount: volumes/NAME/users/ID, one file per container that asked for the mount, holding the
// pid and start time of the process that mounted for it (`run`, or the supervisor for `start` and
// restarts). A user counts while that process lives or its container is running (its record and
// /proc, Containers/ContainerLiveness.cs); a file whose process and container are both gone is
// stale. So a supervisor killed with SIGKILL leaks nothing for good: the next start, `rm -f`,
// `volume rm|prune` or `minirun boot` drops the stale file and unmounts. Every change happens
// under volumes/NAME/mount.lock (flock); `volume rm` takes it inside volumes/.lock, never the
// other way round.
//
// Follows: docker-volume-create(1) "Driver-specific options"; moby's volume/local (the option
// keys, which key needs which, mount on first use, unmount with MNT_DETACH when unused); mount(2),
// umount(2), mount(8) option words (Kernel/MountOptions.cs), proc(5) /proc/self/mountinfo.
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using MiniRun.Containers;
using MiniRun.Kernel;
using MiniRun.Runtime;
using MiniRun.Spec;

namespace MiniRun.Volumes;

public static partial class VolumeMounts
{
    public const string UsersDir = "users";
    private const string LockFile = "mount.lock";

    /// <summary>The local driver's option keys (moby volume/local).</summary>
    public static readonly string[] Keys = ["type", "o", "device", "size"];

    /// <summary>Which keys another key needs, in the order they are checked.</summary>
    private static readonly (string Key, string[] Needs)[] Required =
        [("device", ["type"]), ("type", ["device"]), ("o", ["device", "type"])];

    /// <summary>A volume whose options name a filesystem to mount (type or device given).</summary>
    public static bool NeedsMount(Volume v) => NeedsMount(v.Options);

    public static bool NeedsMount(IReadOnlyDictionary<string, string> options) =>
        options.ContainsKey("type") || options.ContainsKey("device");

    /// <summary>
    /// Docker's checks at create: known keys only, `size` (a quota) only without quota support
    /// (MiniRun has none, so only 0), and device, type, o each with the keys they need.
    /// Returns the error text (without the "create NAME: " prefix), or null.
    /// </summary>
    public static string? Validate(IReadOnlyDictionary<string, string> options)
    {
        foreach (var key in options.Keys.Order(StringComparer.Ordinal))
            if (!Keys.Contains(key)) return $"invalid option: {GoQuote.Quote(key)}";
        if (options.TryGetValue("size", out var size))
        {
            if (RamInBytes(size) is not { } bytes) return $"invalid size: '{size}'";
            if (bytes > 0) return "quota size requested but no quota support";
        }
        foreach (var (key, needs) in Required)
            if (options.ContainsKey(key))
                foreach (var need in needs)
                    if (!options.ContainsKey(need)) return $"missing required option: {GoQuote.Quote(need)}";
        if (options.TryGetValue("o", out var o))
        {
            var parsed = MountOptions.Parse(Words(o));
            if (parsed.IsRecursiveAttr)
                return $"o={o}: recursive mount attributes (rro, rnosuid...) are not supported on a volume's mount";
        }
        return null;
    }

    /// <summary>Docker's RAMInBytes: "100m", "1.5g", "512" (binary units), or null.</summary>
    public static long? RamInBytes(string text)
    {
        var m = SizeRule().Match(text);
        if (!m.Success || !double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n)) return null;
        int power = m.Groups[2].Value.Length == 0 ? 0 : "kmgtp".IndexOf(char.ToLowerInvariant(m.Groups[2].Value[0])) + 1;
        return (long)(n * Math.Pow(1024, power));
    }

    [GeneratedRegex(@"^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?(?:[iI]?[bB])?$")]
    private static partial Regex SizeRule();

    private static string[] Words(string o) => o.Split(',', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// Before container <paramref name="containerId"/> starts: each of its volumes that needs a
    /// mount gets this process as a user for it, and is mounted unless it is already.
    /// </summary>
    public static void Acquire(string root, string containerId, IEnumerable<string> volumeNames)
    {
        var store = new VolumeStore(root);
        foreach (var name in volumeNames.Distinct())
        {
            if (store.Find(name) is not { } v || !NeedsMount(v)) continue;
            using var held = FileLock.Exclusive(Path.Combine(store.PathOf(name), LockFile));
            string users = Directory.CreateDirectory(Path.Combine(store.PathOf(name), UsersDir)).FullName;
            string self = Path.Combine(users, containerId);
            bool mounted = IsMounted(v.Mountpoint);
            // Mounted, but every user is gone (a supervisor killed with SIGKILL): that run is over,
            // so this one starts with a fresh filesystem, as after an orderly end.
            if (mounted && LiveUsers(root, users, ended: containerId) == 0)
            {
                Unmount(v.Mountpoint);
                mounted = false;
            }
            int pid = Environment.ProcessId;
            File.WriteAllText(self, $"{pid} {ProcessIdentity.StartTime(pid) ?? 0}\n");
            if (mounted) continue;
            try { Mount(v); }
            catch { File.Delete(self); throw; }
        }
    }

    /// <summary>
    /// Before `run` clones init: may this container use a volume with mount options? Then init is
    /// cloned only after the mount exists (a mount namespace cloned earlier would not see it).
    /// Errs towards yes (--volumes-from); flags that do not parse are left to create's checks.
    /// </summary>
    public static bool MayNeedMount(string root, RunOptions o)
    {
        if (o.VolumesFrom.Count > 0) return true;
        var store = new VolumeStore(root);
        bool Named(MountRequest r) => r.Type == MountTypes.Volume && r.Source.Length > 0 && store.Find(r.Source) is { } v && NeedsMount(v);
        foreach (var raw in o.Volumes)
            try { if (Named(MountFlags.ParseVolume(raw))) return true; }
            catch (Exception e) when (e is RunConfigException or ContainerException) { }
        foreach (var raw in o.Mounts)
            try
            {
                var r = MountFlags.ParseMount(raw);
                if (Named(r) || r.Type == MountTypes.Volume && NeedsMount(r.VolumeOptions)) return true;
            }
            catch (Exception e) when (e is RunConfigException or ContainerException) { }
        return false;
    }

    /// <summary>Acquire for the volumes the container's mounts.json names (none: nothing to do).</summary>
    public static void AcquireFor(string root, string containerDir, string containerId)
    {
        var names = VolumeNames(containerDir);
        if (names.Count > 0) Acquire(root, containerId, names);
    }

    /// <summary>
    /// Container <paramref name="containerId"/> (its directory <paramref name="containerDir"/>) ended or is
    /// removed: it uses none of its volumes any more, and each of them left without a live user is
    /// unmounted (<see cref="RepairOne"/>). Only the volumes its mounts.json names: a container without
    /// volumes does nothing here; other volumes' stale mounts are for their next start, prune, rm and boot.
    /// </summary>
    public static void Release(string root, string containerDir, string containerId)
    {
        var names = VolumeNames(containerDir);
        if (names.Count == 0) return;
        var store = new VolumeStore(root);
        foreach (var name in names.Distinct())
            if (store.Find(name) is { } v) RepairOne(root, store, v, containerId);
    }

    /// <summary>The named volumes in the container's mounts.json (none without one).</summary>
    private static List<string> VolumeNames(string containerDir) =>
        File.Exists(Path.Combine(containerDir, ContainerMounts.FileName))
            ? ContainerMounts.Read(containerDir).Points.Where(p => p.Type == MountTypes.Volume).Select(p => p.Name).ToList()
            : [];

    /// <summary>
    /// Every volume that needs a mount: stale users dropped (and <paramref name="ended"/>'s), and
    /// unmounted when no user is left. Returns the names unmounted.
    /// </summary>
    public static List<string> Repair(string root, string? ended = null)
    {
        var unmounted = new List<string>();
        var store = new VolumeStore(root);
        foreach (var v in store.List())
        {
            if (!NeedsMount(v) && !Directory.Exists(Path.Combine(store.PathOf(v.Name), UsersDir))) continue;
            if (RepairOne(root, store, v, ended)) unmounted.Add(v.Name);
        }
        return unmounted;
    }

    /// <summary>One volume (the caller may hold volumes/.lock): true when it was unmounted now.</summary>
    public static bool RepairOne(string root, VolumeStore store, Volume v, string? ended = null)
    {
        string dir = store.PathOf(v.Name);
        if (!Directory.Exists(dir)) return false;
        using var held = FileLock.Exclusive(Path.Combine(dir, LockFile));
        if (LiveUsers(root, Path.Combine(dir, UsersDir), ended) > 0) return false;
        if (!IsMounted(v.Mountpoint)) return false;
        Unmount(v.Mountpoint);
        return true;
    }

    /// <summary>Counts the users whose process or container still runs; deletes the other files.</summary>
    private static int LiveUsers(string root, string usersDir, string? ended)
    {
        if (!Directory.Exists(usersDir)) return 0;
        int live = 0;
        ContainerStore? containers = null;
        foreach (var file in Directory.EnumerateFiles(usersDir))
        {
            string id = Path.GetFileName(file);
            if (id != ended && IsLive(root, ref containers, id, file)) { live++; continue; }
            try { File.Delete(file); } catch (IOException) { }
        }
        return live;
    }

    private static bool IsLive(string root, ref ContainerStore? containers, string id, string file)
    {
        try
        {
            var parts = File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && int.TryParse(parts[0], out int pid) && ulong.TryParse(parts[1], out ulong start)
                && pid > 0 && ProcessIdentity.IsAlive(pid, start))
                return true;
        }
        catch (IOException) { return false; }
        containers ??= new ContainerStore(root);
        try { return ContainerLiveness.IsRunning(containers.Load(id)); }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidDataException or ContainerException) { return false; }
    }

    /// <summary>mount(2) of the volume's options on its _data; a read-only or nosuid... bind is remounted with those flags.</summary>
    public static void Mount(Volume v)
    {
        v.Options.TryGetValue("type", out var type);
        v.Options.TryGetValue("device", out var device);
        var parsed = MountOptions.Parse(Words(v.Options.GetValueOrDefault("o", "")));
        string target = v.Mountpoint;
        string what = string.IsNullOrEmpty(device) ? type ?? "" : device;
        if (Libc.mount(device, target, type, parsed.Flags, parsed.Data) != 0)
            throw new KernelException($"mount {what} on {target}", Marshal.GetLastPInvokeError());
        try
        {
            ulong perMount = parsed.Flags & MountOptions.PerMountFlags;
            if (parsed.IsBind && perMount != 0
                && Libc.mount(null, target, null, Libc.MS_BIND | Libc.MS_REMOUNT | perMount, null) != 0)
                throw new KernelException($"remount {target} {MountOptions.FlagNames(perMount)}", Marshal.GetLastPInvokeError());
            if (parsed.PropagationFlags != 0 && Libc.mount(null, target, null, parsed.PropagationFlags, null) != 0)
                throw new KernelException($"mount --make-{MountOptions.FlagNames(parsed.PropagationFlags)} {target}", Marshal.GetLastPInvokeError());
        }
        catch
        {
            Libc.umount2(target, Libc.MNT_DETACH);
            throw;
        }
    }

    /// <summary>umount2(MNT_DETACH) until nothing is mounted on <paramref name="target"/> (as moby's local driver).</summary>
    public static void Unmount(string target)
    {
        for (int i = 0; i < 16 && IsMounted(target); i++)
            if (Libc.umount2(target, Libc.MNT_DETACH) != 0)
                throw new KernelException($"umount {target}", Marshal.GetLastPInvokeError());
    }

    /// <summary>Something is mounted on exactly <paramref name="path"/> in this mount namespace.</summary>
    public static bool IsMounted(string path, IEnumerable<string>? mountinfo = null) =>
        (mountinfo ?? File.ReadLines("/proc/self/mountinfo"))
            .Select(l => l.Split(' ')).Where(f => f.Length > 4).Any(f => MountInfo.Unescape(f[4]) == path);
}
