// PsSize: the SIZE column of `ps -s`: what a container wrote (its overlay upper directory) and
// the total it sees (that plus its image).
//
// Why: copy-on-write made visible: a fresh container costs "0B" however large its image is;
// "virtual" is what a full copy would cost. Sizes are counted by Containers/DiskSize.cs.
//
// Follows: docker-ps(1) "--size" ("SIZE" = size of the writable layer, "virtual" = plus the
// read-only image), Docker's format "0B (virtual 1.2MB)".
using MiniImage.Store;
using MiniRun.Containers;

namespace MiniRun.Cli;

public static class PsSize
{
    /// <summary>"12.3kB (virtual 4.3MB)": the upper directory, and that plus the image's size.</summary>
    public static string Column(ContainerStore store, ImageStore? images, ContainerRecord c)
    {
        long rw = DiskSize.Of(Path.Combine(store.DirOf(c.Id), "upper"));
        long image = 0;
        try { image = images?.Resolve(c.ImageId)?.Size ?? 0; }
        catch (MiniImage.MiniImageException) { }
        return $"{HumanFormat.Size(rw)} (virtual {HumanFormat.Size(rw + image)})";
    }
}
