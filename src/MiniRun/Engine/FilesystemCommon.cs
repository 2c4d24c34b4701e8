// FilesystemCommon: what diff, cp, commit and export share: finding the container (a missing one is
// ContainerNotFoundException, exit 1), and turning store and layer errors into one-line
// ContainerExceptions (exit 1). The messages are the daemon's; the CLI adds Docker's dressing.
//
// Follows: moby's messages ("No such container: X", exit 1).
using MiniImage;
using MiniImage.Layers;
using MiniRun.Containers;

namespace MiniRun.Engine;

public static class FilesystemCommon
{
    public static ContainerRecord Find(ContainerStore store, string container)
    {
        try { return store.Find(container); }
        catch (Spec.RunConfigException e) { throw new ContainerException(e.Message, 1); }
    }

    /// <summary>Runs `action`, reporting store, layer and I/O errors as one line with exit status 1.</summary>
    public static T Guard<T>(string what, Func<T> action)
    {
        try { return action(); }
        catch (Exception e) when (e is MiniImageException or LayerException) { throw new ContainerException(e.Message, 1); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ContainerException($"{what}: {e.Message}", 1); }
    }
}
