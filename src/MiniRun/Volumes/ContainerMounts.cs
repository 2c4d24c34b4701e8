// ContainerMounts: a container's volumes and bind mounts - from -v, --mount, --volumes-from and
// the image's VOLUME entries - turned into mount points, made ready on the host, written into
// config.json, and recorded in the container's mounts.json.
//
// Why: config.json is the only contract with the runtime core, so each mount point becomes one
// OCI mount (bind sources resolved here, on the host side; the core resolves the target inside
// the rootfs without leaving it: MiniRun.Runtime/Init/SpecMountSteps.cs). Every later start
// reuses that config.json, so a stopped container mounts the same volumes again. mounts.json keeps
// what `inspect` (Mounts, HostConfig.Binds/Mounts), `rm -v`, `volume rm` (in use?) and another
// container's --volumes-from need. Docker's rules kept here:
//   - -v with a missing host path makes it a directory (0755, owned by the container's root);
//     --mount refuses it ("bind source path does not exist"); a source that is a symlink is
//     resolved on the host (realpath) and the real directory is mounted and shown;
//   - a named volume is made on first use; `-v /path` and an image VOLUME not covered by a -v or
//     --mount get an anonymous volume (64-hex name, label com.docker.volume.anonymous);
//   - --volumes-from copies the other container's bind and volume mounts (not tmpfs), with :ro/:rw
//     overriding their mode; an explicit -v/--mount on the same path wins;
//   - two mounts on one path: "Duplicate mount point: PATH";
//   - mounts are made parents first (sorted by path depth), so -v x:/a and -v y:/a/b both show;
//   - a slave bind mount needs a shared or slave host mount and makes the root rslave, a shared
//     one needs a shared host mount and makes the root rshared (BindPropagation.cs).
//
// Follows: docker-run(1) "-v", "--mount", "--volumes-from"; Docker Engine API MountPoint
// (Type, Name, Source, Destination, Driver, Mode, RW, Propagation); runtime-spec config.md "Mounts".
using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using MiniImage.Oci;
using MiniRun.Containers;
using MiniRun.Spec;

namespace MiniRun.Volumes;

/// <summary>One mount of a container, in Docker's MountPoint shape (+ what the engine needs).</summary>
public sealed record MountPoint
{
    public string Type { get; init; } = MountTypes.Volume;
    /// <summary>The volume's name ("" for bind and tmpfs).</summary>
    public string Name { get; init; } = "";
    /// <summary>Host path: the bind source or the volume's _data; "" for tmpfs.</summary>
    public string Source { get; init; } = "";
    public string Destination { get; init; } = "";
    public string Driver { get; init; } = "";
    public string Mode { get; init; } = "";
    public bool RW { get; init; } = true;
    public string Propagation { get; init; } = "";
    /// <summary>An anonymous volume: `rm -v` and `run --rm` remove it with the container.</summary>
    public bool Anonymous { get; init; }
    /// <summary>tmpfs: the mount options (TmpfsMounts' defaults, size=, mode=).</summary>
    public List<string> TmpfsOptions { get; init; } = new();
    /// <summary>Seed the volume with the image's content if it is empty (not persisted).</summary>
    public bool CopyUp { get; init; }
}

/// <summary>What mounts.json holds: the flags as given (inspect's HostConfig) and the resulting mount points.</summary>
public sealed class ContainerMountSet
{
    public List<string> Binds { get; init; } = new();
    public List<MountRequest> Mounts { get; init; } = new();
    public List<string> VolumesFrom { get; init; } = new();
    public List<MountPoint> Points { get; init; } = new();
    public static ContainerMountSet Empty => new();
}

public static partial class ContainerMounts
{
    public const string FileName = "mounts.json";

    /// <summary>True when the flags or the image ask for any mount (else nothing is written: `run` stays as fast).</summary>
    public static bool Wanted(RunOptions o, ImageConfig image) =>
        o.Volumes.Count + o.Mounts.Count + o.VolumesFrom.Count > 0 || image.Config?.Volumes is { Count: > 0 };

    /// <summary>
    /// Parses the flags, makes the volumes and -v host directories, resolves bind sources; RunConfigException
    /// (exit 125) with Docker's text for bad input. <paramref name="hostRoot"/>: uid/gid that new
    /// host directories and volumes get (the remapped root, or 0:0).
    /// </summary>
    public static ContainerMountSet Resolve(string root, RunOptions o, ImageConfig image, ContainerStore containers,
        (uint Uid, uint Gid) hostRoot = default)
    {
        var requests = o.Volumes.Select(MountFlags.ParseVolume).Concat(o.Mounts.Select(MountFlags.ParseMount)).ToList();
        var taken = new HashSet<string>(o.Tmpfs.Select(t => SpecGenerator.CleanAbsolute(MiniRun.Security.TmpfsMounts.Split(t).Path)));
        foreach (var r in requests)
            if (!taken.Add(r.Target)) throw new RunConfigException($"Duplicate mount point: {r.Target}");

        var volumes = new VolumeStore(root);
        var points = new List<MountPoint>();
        try
        {
            foreach (var r in requests) points.Add(Prepare(r, volumes, hostRoot));
            foreach (var from in o.VolumesFrom)
            {
                var (name, mode) = MountFlags.ParseVolumesFrom(from);
                ContainerRecord other;
                try { other = containers.Find(name); }
                catch (ContainerNotFoundException e) { throw new RunConfigException(e.Message); }
                foreach (var p in Read(containers.DirOf(other.Id)).Points.Where(p => p.Type != MountTypes.Tmpfs))
                    if (taken.Add(p.Destination))
                        points.Add(p with { RW = mode switch { "ro" => false, "rw" => true, _ => p.RW }, CopyUp = false });
            }
            foreach (var path in image.Config?.Volumes?.Keys.ToList() ?? [])
            {
                if (!path.StartsWith('/')) continue;   // Docker ignores nothing here, but a relative VOLUME cannot be mounted
                string target = SpecGenerator.CleanAbsolute(path);
                if (target == "/" || !taken.Add(target)) continue;
                points.Add(Prepare(new MountRequest { Type = MountTypes.Volume, Target = target }, volumes, hostRoot));
            }
        }
        catch
        {
            RemoveAnonymous(root, points, exceptContainer: null);   // made for a container that will not exist
            throw;   // a RunConfigException: the daemon's checks, dressed as such by the CLI (Engine/DaemonError.cs)
        }
        return new ContainerMountSet
        {
            Binds = o.Volumes.ToList(), Mounts = requests.Where(r => r.FromMountFlag).ToList(),
            VolumesFrom = o.VolumesFrom.ToList(), Points = points,
        };
    }

    private static MountPoint Prepare(MountRequest r, VolumeStore volumes, (uint Uid, uint Gid) hostRoot)
    {
        switch (r.Type)
        {
            case MountTypes.Bind:
                if (!Path.Exists(r.Source))
                {
                    if (r.FromMountFlag)
                        throw new RunConfigException($"invalid mount config for type \"bind\": bind source path does not exist: {r.Source}");
                    Directory.CreateDirectory(r.Source);   // -v: Docker makes a missing host path a directory
                    if (hostRoot.Uid != 0) Chown(r.Source, hostRoot.Uid, hostRoot.Gid);
                }
                string real = RealPath(r.Source);
                BindPropagation.Check(real, r.Propagation);
                return new MountPoint
                {
                    Type = MountTypes.Bind, Source = real, Destination = r.Target, Mode = r.Mode,
                    RW = !r.ReadOnly, Propagation = r.Propagation.Length > 0 ? r.Propagation : "rprivate",
                };
            case MountTypes.Tmpfs:
                var words = new List<string>();
                if (r.TmpfsSize is long size) words.Add($"size={size}");
                if (r.TmpfsMode is uint mode) words.Add($"mode={Convert.ToString(mode, 8)}");
                var options = MiniRun.Security.TmpfsMounts.MergedOptions(string.Join(',', words));
                if (r.ReadOnly) options.Add("ro");
                return new MountPoint { Type = MountTypes.Tmpfs, Destination = r.Target, RW = !r.ReadOnly, TmpfsOptions = options };
            default:
                Volume v;
                bool created;
                try { (v, created) = volumes.Ensure(r.Source.Length > 0 ? r.Source : null, r.VolumeLabels, r.VolumeOptions,
                        r.VolumeDriver.Length > 0 ? r.VolumeDriver : "local"); }
                catch (ContainerException e) { throw new RunConfigException(e.Message); }
                if (created && hostRoot.Uid != 0) Chown(v.Mountpoint, hostRoot.Uid, hostRoot.Gid);
                return new MountPoint
                {
                    Type = MountTypes.Volume, Name = v.Name, Source = v.Mountpoint, Destination = r.Target, Driver = v.Driver,
                    Mode = r.Mode, RW = !r.ReadOnly, Anonymous = v.Anonymous, CopyUp = !r.NoCopy,
                };
        }
    }

    /// <summary>Adds the mount points to config.json's mounts: replaces a default mount on the same path, then parents first.</summary>
    public static void ApplyToSpec(RuntimeSpec spec, ContainerMountSet set)
    {
        if (set.Points.Count == 0) return;
        foreach (var p in set.Points)
        {
            spec.Mounts.RemoveAll(m => m.Destination == p.Destination);
            spec.Mounts.Add(p.Type == MountTypes.Tmpfs
                ? new SpecMount { Destination = p.Destination, Type = "tmpfs", Source = "tmpfs", Options = p.TmpfsOptions.ToList() }
                : new SpecMount
                {
                    Destination = p.Destination, Type = "bind", Source = p.Source,
                    Options = ["rbind", p.RW ? "rw" : "ro", p.Propagation.Length > 0 ? p.Propagation : "rprivate"],
                });
        }
        // A slave bind mount stays connected to the host's mount only if the container's copy of the host's mounts does.
        spec.Linux.RootfsPropagation = BindPropagation.RootPropagation(set.Points, spec.Linux.RootfsPropagation);
        // Stable: mounts of equal depth keep their order (/dev before /dev/pts stays true).
        var sorted = spec.Mounts.Select((m, i) => (m, i)).OrderBy(x => Depth(x.m.Destination)).ThenBy(x => x.i).Select(x => x.m).ToList();
        spec.Mounts.Clear();
        spec.Mounts.AddRange(sorted);
    }

    private static int Depth(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries).Length;

    /// <summary>The container's mounts.json; an empty set when it has none (no mounts, or made before volumes existed).</summary>
    public static ContainerMountSet Read(string containerDir)
    {
        string file = Path.Combine(containerDir, FileName);
        if (MiniRun.Kernel.FileText.ReadBytesIfExists(file) is not { } bytes) return ContainerMountSet.Empty;   // no exception on every --rm end
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var r = doc.RootElement;
            return new ContainerMountSet
            {
                Binds = Strings(r, "Binds"), VolumesFrom = Strings(r, "VolumesFrom"),
                Mounts = r.GetProperty("Mounts").EnumerateArray().Select(m => new MountRequest
                {
                    Type = Str(m, "Type"), Source = Str(m, "Source"), Target = Str(m, "Target"), ReadOnly = m.GetProperty("ReadOnly").GetBoolean(),
                    Propagation = Str(m, "Propagation"), NoCopy = m.GetProperty("NoCopy").GetBoolean(),
                    VolumeOptions = Map(m, "VolumeOptions"), VolumeLabels = Map(m, "VolumeLabels"), VolumeDriver = Str(m, "VolumeDriver"),
                    TmpfsSize = m.GetProperty("TmpfsSize").ValueKind == JsonValueKind.Number ? m.GetProperty("TmpfsSize").GetInt64() : null,
                    TmpfsMode = m.GetProperty("TmpfsMode").ValueKind == JsonValueKind.Number ? m.GetProperty("TmpfsMode").GetUInt32() : null,
                    FromMountFlag = true, Raw = Str(m, "Raw"),
                }).ToList(),
                Points = r.GetProperty("Points").EnumerateArray().Select(p => new MountPoint
                {
                    Type = Str(p, "Type"), Name = Str(p, "Name"), Source = Str(p, "Source"), Destination = Str(p, "Destination"),
                    Driver = Str(p, "Driver"), Mode = Str(p, "Mode"), RW = p.GetProperty("RW").GetBoolean(), Propagation = Str(p, "Propagation"),
                    Anonymous = p.GetProperty("Anonymous").GetBoolean(), TmpfsOptions = Strings(p, "TmpfsOptions"),
                }).ToList(),
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ContainerException($"read {file}: {e.Message}", 1);
        }

        static string Str(JsonElement e, string key) => e.GetProperty(key).GetString() ?? "";
        static List<string> Strings(JsonElement e, string key) => e.GetProperty(key).EnumerateArray().Select(s => s.GetString() ?? "").ToList();
        static Dictionary<string, string> Map(JsonElement e, string key) =>
            e.GetProperty(key).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
    }

    public static void Write(string containerDir, ContainerMountSet set)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            Strings("Binds", set.Binds);
            Strings("VolumesFrom", set.VolumesFrom);
            w.WriteStartArray("Mounts");
            foreach (var m in set.Mounts)
            {
                w.WriteStartObject();
                w.WriteString("Type", m.Type);
                w.WriteString("Source", m.Source);
                w.WriteString("Target", m.Target);
                w.WriteBoolean("ReadOnly", m.ReadOnly);
                w.WriteString("Propagation", m.Propagation);
                w.WriteBoolean("NoCopy", m.NoCopy);
                Map("VolumeOptions", m.VolumeOptions);
                Map("VolumeLabels", m.VolumeLabels);
                w.WriteString("VolumeDriver", m.VolumeDriver);
                if (m.TmpfsSize is long size) w.WriteNumber("TmpfsSize", size); else w.WriteNull("TmpfsSize");
                if (m.TmpfsMode is uint mode) w.WriteNumber("TmpfsMode", mode); else w.WriteNull("TmpfsMode");
                w.WriteString("Raw", m.Raw);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("Points");
            foreach (var p in set.Points)
            {
                w.WriteStartObject();
                w.WriteString("Type", p.Type);
                w.WriteString("Name", p.Name);
                w.WriteString("Source", p.Source);
                w.WriteString("Destination", p.Destination);
                w.WriteString("Driver", p.Driver);
                w.WriteString("Mode", p.Mode);
                w.WriteBoolean("RW", p.RW);
                w.WriteString("Propagation", p.Propagation);
                w.WriteBoolean("Anonymous", p.Anonymous);
                Strings("TmpfsOptions", p.TmpfsOptions);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();

            void Strings(string name, List<string> values)
            {
                w.WriteStartArray(name);
                foreach (var v in values) w.WriteStringValue(v);
                w.WriteEndArray();
            }
            void Map(string name, Dictionary<string, string> values)
            {
                w.WriteStartObject(name);
                foreach (var (k, v) in values) w.WriteString(k, v);
                w.WriteEndObject();
            }
        }
        File.WriteAllBytes(Path.Combine(containerDir, FileName), buffer.WrittenSpan.ToArray());
    }

    /// <summary>Ids of the containers whose mounts include volume <paramref name="name"/> (removed containers' directories ignored).</summary>
    public static List<string> UsersOf(string root, string name)
    {
        string dir = Path.Combine(root, "containers");
        if (!Directory.Exists(dir)) return [];
        var users = new List<string>();
        foreach (var c in Directory.EnumerateDirectories(dir))
        {
            string id = Path.GetFileName(c);
            if (id.StartsWith('.') || !File.Exists(Path.Combine(c, FileName))) continue;
            try
            {
                if (Read(c).Points.Any(p => p.Type == MountTypes.Volume && p.Name == name)) users.Add(id);
            }
            catch (ContainerException) { users.Add(id); }   // unreadable: assume it is used, never delete data on a guess
        }
        return users;
    }

    /// <summary>
    /// `rm -v`, `run --rm`: the anonymous volumes among <paramref name="points"/> that no other
    /// container uses are removed (a volume another container got with --volumes-from stays).
    /// Returns the names removed.
    /// </summary>
    public static List<string> RemoveAnonymous(string root, IEnumerable<MountPoint> points, string? exceptContainer)
    {
        var removed = new List<string>();
        var anonymous = points.Where(p => p.Type == MountTypes.Volume && p.Anonymous).Select(p => p.Name).Distinct().ToList();
        if (anonymous.Count == 0) return removed;
        var volumes = new VolumeStore(root);
        volumes.Locked(() =>
        {
            foreach (var name in anonymous)
            {
                if (UsersOf(root, name).Any(id => id != exceptContainer)) continue;
                if (volumes.Find(name) is { } v) VolumeMounts.RepairOne(root, volumes, v, exceptContainer);   // unmounted before it goes
                volumes.Delete(name);
                removed.Add(name);
            }
            return 0;
        });
        return removed;
    }

    /// <summary>
    /// --userns=remap: the container's root (an ordinary uid outside) looks up the volume's _data
    /// before pivot_root, so volumes/ and each volume's directory get search permission for its
    /// group (as UsernsRemap.PrepareBundle does for the container's own directory).
    /// </summary>
    public static void PrepareForRemap(string root, ContainerMountSet set, MiniRun.Security.UsernsPlan plan)
    {
        if (plan.Identity is not { } id) return;
        var volumes = set.Points.Where(p => p.Type == MountTypes.Volume).ToList();
        if (volumes.Count == 0) return;
        uint uid = (uint)id.Uids.Start, gid = (uint)id.Gids.Start;
        var store = new VolumeStore(root);
        MiniRun.Security.UsernsRemap.GrantSearch(store.Dir, uid, gid);
        foreach (var p in volumes) MiniRun.Security.UsernsRemap.GrantSearch(store.PathOf(p.Name), uid, gid);
    }

    /// <summary>realpath(3): a bind source that is (or passes through) a symlink is mounted, and shown, as the real path.</summary>
    public static string RealPath(string path)
    {
        nint p = realpath(path, 0);
        if (p == 0) throw new RunConfigException($"invalid mount config for type \"bind\": resolve {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        try { return Marshal.PtrToStringUTF8(p)!; }
        finally { Marshal.FreeHGlobal(p); }
    }

    internal static void Chown(string path, uint uid, uint gid)
    {
        if (lchown(path, uid, gid) < 0)
            throw new RunConfigException($"chown {path} to {uid}:{gid}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint realpath(string path, nint resolved);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, uint owner, uint group);
}
