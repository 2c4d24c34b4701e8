// ContainerUses: what every container holds on to in the image store: its image and its overlay
// lower directories (from its config.json), running or not.
//
// Why: the image store decides what rmi, image prune and system prune may delete, but knows
// nothing of containers; the engine tells it. A container whose bundle cannot be read (being
// created or removed) still protects its image by its ImageId.
// Follows: docker-rmi(1) (an image a container uses is not deleted without -f).
using MiniImage.Store;
using MiniRun.Containers;
using MiniRun.Spec;

namespace MiniRun.Engine;

public static class ContainerUses
{
    /// <summary>Every container's image and overlay lower dirs (stopped ones included).</summary>
    public static IReadOnlyList<ContainerUse> Of(string root)
    {
        var containers = new ContainerStore(root);
        var result = new List<ContainerUse>();
        foreach (var c in containers.List())
        {
            IReadOnlyList<string> lower = [];
            try
            {
                var spec = RuntimeSpecReader.Parse(File.ReadAllBytes(Path.Combine(containers.DirOf(c.Id), "config.json")));
                lower = spec.Linux.Overlay?.LowerDirs ?? [];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidDataException or InvalidOperationException or RunConfigException)
            {
                // No readable bundle (being created or removed): only its ImageId protects anything.
            }
            result.Add(new ContainerUse(c.Id, c.ImageId, ContainerLiveness.IsRunning(c), lower));
        }
        return result;
    }
}
