// IdTranslation: a file owner as the host stores it <-> as a remapped container sees it, for the
// engine's own file work on such a container: cp (both ways), commit and export.
//
// Why: the kernel translates ids only for processes inside the user namespace. cp, commit and
// export run on the host and read or write the container's files directly, so they translate:
//   - commit and export read host ids (upper/ holds 100000 for the container's root; the rootfs
//     over idmapped layers shows 100000 too) and must store the container's view (0), or the new
//     image would carry the range's ids into every container made from it;
//   - cp into the container writes files that must belong to the mapped ids (0 -> 100000), else
//     root inside would see them as nobody (65534) and could not change them;
//   - cp out with -a keeps the container's view of the owner, as for an unremapped container.
// A host id outside the map is shown as the overflow id 65534, as the kernel shows it inside; a
// container id outside the map is stored as the mapped 65534.
//
// Follows: user_namespaces(7) "User and group ID mappings" (and /proc/sys/kernel/overflowuid).
using MiniRun.Spec;

namespace MiniRun.Security;

public sealed class IdTranslation
{
    public const uint Overflow = 65534;
    private readonly List<SpecIdMapping> _uids, _gids;

    private IdTranslation(List<SpecIdMapping> uids, List<SpecIdMapping> gids) { _uids = uids; _gids = gids; }

    /// <summary>The container's maps from its config.json, or null when it has no user namespace (ids are the host's).</summary>
    public static IdTranslation? Of(RuntimeSpec spec) =>
        spec.Linux.UidMappings is { Count: > 0 } u && spec.Linux.GidMappings is { Count: > 0 } g ? new IdTranslation(u, g) : null;

    public static IdTranslation? Of(string containerDir)
    {
        try { return Of(RuntimeSpec.Load(Path.Combine(containerDir, "config.json"))); }
        catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException) { return null; }
    }

    public uint UidToContainer(uint hostId) => ToContainer(_uids, hostId);
    public uint GidToContainer(uint hostId) => ToContainer(_gids, hostId);
    public uint UidToHost(uint containerId) => ToHost(_uids, containerId);
    public uint GidToHost(uint containerId) => ToHost(_gids, containerId);

    public List<SpecIdMapping> UidMappings => _uids;
    public List<SpecIdMapping> GidMappings => _gids;

    private static uint ToContainer(List<SpecIdMapping> maps, uint id)
    {
        foreach (var m in maps)
            if (id >= m.HostId && id - m.HostId < m.Size) return m.ContainerId + (id - m.HostId);
        return Overflow;
    }

    private static uint ToHost(List<SpecIdMapping> maps, uint id)
    {
        foreach (var m in maps)
            if (id >= m.ContainerId && id - m.ContainerId < m.Size) return m.HostId + (id - m.ContainerId);
        return id == Overflow ? Overflow : ToHost(maps, Overflow);
    }
}
