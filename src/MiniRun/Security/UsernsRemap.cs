// UsernsRemap: `--userns=remap|host` for run and create: whether a container gets a user
// namespace, which host ids it maps to, and what its directory needs so that its root - an
// ordinary uid on the host - can use it.
//
// Why: without a user namespace root in a container is root on the host, held back only by
// capabilities, seccomp and the mount table; one escape and it owns the machine. With one, uid 0
// inside is e.g. uid 100000 outside: files it reaches outside its rootfs are judged by that uid.
// Modes (Docker's: --userns=host opts one container out of the daemon-wide remap):
//   --userns=remap   a user namespace mapping 0..N-1 onto the range of the remap user
//                    (RemapUser.cs: "minirun", or the user daemon.json names)
//   --userns=host    none, whatever daemon.json says
//   no flag          daemon.json's "userns-remap" (DaemonConfig.cs): remap if set, else none
// What the container's directory needs (PrepareBundle), since the container's own process - as
// the mapped uid - still looks up a few host paths before pivot_root:
//   - upper/ and work/ belong to the mapped root: "/" inside is upper/'s root directory, and a
//     file root writes lands there owned by the mapped uid (the rootfs itself is mounted by the
//     runtime, over idmapped layers: MiniRun.Runtime/Runtime/IdmappedRootfs.cs);
//   - hostname, hosts, resolv.conf belong to the mapped root (bind-mounted, writable inside);
//   - config.json is readable by the mapped root's group (init reads it);
//   - the MiniRun root, containers/ and the container's directory are searchable (x) by the
//     mapped root's group: group set to the mapped gid, g+x added - nothing more (not readable,
//     so no listing). layers/ and tmp/ stay closed: the layers are reached by the runtime only.
//   - every directory above the MiniRun root must let others search it (o+x), else the start
//     would fail later with EACCES; this is checked first and named (Docker checks the same).
//
// Follows: docker-run(1) "--userns", dockerd(8) "Daemon user namespace options",
// user_namespaces(7), path_resolution(7) (search permission), chown(2).
using System.Runtime.InteropServices;
using MiniRun.Containers;
using MiniRun.Spec;

namespace MiniRun.Security;

/// <summary>The user namespace decision for one container: Mode "remap", "host" or "" (none, the default), and the ranges when remapped.</summary>
public sealed record UsernsPlan(string Mode, RemapIdentity? Identity)
{
    public bool Remapped => Identity is not null;
    public static UsernsPlan None { get; } = new("", null);
}

public static partial class UsernsRemap
{
    /// <summary>--userns as typed (null: not given) and daemon.json -> "remap", "host" or "".</summary>
    public static string ModeOf(string? flag, DaemonConfig config) => flag switch
    {
        null or "" => config.UsernsRemap.Length > 0 ? "remap" : "",
        "host" => "host",
        "remap" => "remap",
        _ => throw new ContainerException($"invalid --userns value {GoQuote.Quote(flag)}: use \"remap\" or \"host\"", 125),
    };

    /// <summary>CLONE_NEWUSER when the container will be remapped: `run` clones its init before it writes the bundle.</summary>
    public static int CloneFlag(string? flag) =>
        ModeOf(flag, LoadConfig()) == "remap" ? MiniRun.Runtime.Namespaces.CLONE_NEWUSER : 0;

    private static DaemonConfig LoadConfig()
    {
        try { return DaemonConfig.Load(); }
        catch (FormatException e) { throw new ContainerException(e.Message, 125, e); }
    }

    /// <summary>The full decision; with remap the user and its ranges exist afterwards (created if "default").</summary>
    public static UsernsPlan Plan(string? flag)
    {
        var config = LoadConfig();
        string mode = ModeOf(flag, config);
        if (mode != "remap") return new UsernsPlan(mode, null);
        if (Environment.UserName != "root" && MiniRun.Kernel.Libc.geteuid() != 0)
            throw new ContainerException("--userns=remap needs root: the runtime writes the maps and makes the idmapped mounts");
        return new UsernsPlan(mode, RemapUser.Ensure(config.UsernsRemap));
    }

    /// <summary>A user namespace in config.json: container ids 0..count-1 onto the range's host ids.</summary>
    public static void ApplyToSpec(RuntimeSpec spec, UsernsPlan plan)
    {
        if (plan.Identity is not { } id) return;
        if (!spec.Linux.Namespaces.Any(n => n.Type == "user"))
            spec.Linux.Namespaces.Add(new SpecNamespace { Type = "user" });
        spec.Linux.UidMappings = [new SpecIdMapping { ContainerId = 0, HostId = (uint)id.Uids.Start, Size = (uint)id.Uids.Count }];
        spec.Linux.GidMappings = [new SpecIdMapping { ContainerId = 0, HostId = (uint)id.Gids.Start, Size = (uint)id.Gids.Count }];
    }

    /// <summary>What the mapped root must own, read and search in the MiniRun root and the container's directory (see the header).</summary>
    public static void PrepareBundle(string root, string bundle, UsernsPlan plan)
    {
        if (plan.Identity is not { } id) return;
        uint uid = (uint)id.Uids.Start, gid = (uint)id.Gids.Start;
        root = Path.GetFullPath(root);
        for (string? dir = Path.GetDirectoryName(root); dir is not null; dir = Path.GetDirectoryName(dir))
            if (!CanSearch(dir, uid, gid))
                throw new ContainerException($"--userns=remap: the remapped root (uid {uid}, gid {gid}) cannot search {GoQuote.Quote(dir)}, above the MiniRun root: allow it with chmod o+x {GoQuote.Quote(dir)}");
        foreach (string dir in new[] { root, Path.Combine(root, "containers"), bundle })
            GrantSearch(dir, uid, gid);
        foreach (string sub in new[] { "upper", "work", "hostname", "hosts", "resolv.conf" })
            if (Path.Exists(Path.Combine(bundle, sub))) Chown(Path.Combine(bundle, sub), uid, gid);
        string config = Path.Combine(bundle, "config.json");
        Chown(config, uint.MaxValue, gid);   // -1: owner unchanged
        File.SetUnixFileMode(config, File.GetUnixFileMode(config) | UnixFileMode.GroupRead);
    }

    /// <summary>path_resolution(7): owner bits if it owns the directory, group bits if its gid matches, others' otherwise.</summary>
    public static bool CanSearch(string dir, uint uid, uint gid)
    {
        var (mode, owner, group) = Stat(dir);
        return owner == uid ? (mode & 0x40) != 0 : group == gid ? (mode & 0x8) != 0 : (mode & 0x1) != 0;
    }

    internal static void GrantSearch(string dir, uint uid, uint gid)
    {
        if (CanSearch(dir, uid, gid)) return;
        var (_, _, group) = Stat(dir);
        if (group != 0 && group != gid)
            throw new ContainerException($"--userns=remap: the remapped root (gid {gid}) cannot search {GoQuote.Quote(dir)} (its group is {group}): allow it with chmod o+x {GoQuote.Quote(dir)}");
        Chown(dir, uint.MaxValue, gid);
        File.SetUnixFileMode(dir, File.GetUnixFileMode(dir) | UnixFileMode.GroupExecute);
    }

    private static unsafe (uint Mode, uint Uid, uint Gid) Stat(string path)
    {
        Tmds.Linux.stat st;
        fixed (byte* p = OverlayLayout.Z(path))
            if (Tmds.Linux.LibC.stat(p, &st) < 0)
                throw new ContainerException($"--userns=remap: stat {path}: {OverlayRoot.Describe(Tmds.Linux.LibC.errno)}");
        return ((uint)st.st_mode, (uint)st.st_uid, (uint)st.st_gid);
    }

    private static void Chown(string path, uint uid, uint gid)
    {
        if (lchown(path, uid, gid) < 0)
            throw new ContainerException($"--userns=remap: chown {path} to {(int)uid}:{gid}: {OverlayRoot.Describe(Marshal.GetLastPInvokeError())}");
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, uint owner, uint group);
}
