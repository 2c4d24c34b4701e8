// IPullProgress: the events a pull reports, per layer as Docker's pull output shows them.
//
// Why: the CLI draws progress bars on a terminal and plain lines otherwise; the puller only says
// what happens. Calls are serialised by the puller (never two at once), so an implementation
// needs no locking of its own, though they may come from different threads.
// Follows: the status strings of Docker's pull progress (distribution/xfer in moby):
// "Pulling fs layer", "Waiting", "Downloading", "Verifying Checksum", "Download complete",
// "Extracting", "Pull complete", "Already exists".
using MiniImage.Oci;
using MiniImage.Reference;

namespace MiniImage.Pull;

public enum LayerEvent
{
    PullingFsLayer,
    AlreadyExists,
    Waiting,
    /// <summary>current/total bytes of the compressed blob received.</summary>
    Downloading,
    VerifyingChecksum,
    DownloadComplete,
    /// <summary>current/total bytes of the compressed blob unpacked.</summary>
    Extracting,
    PullComplete,
}

public interface IPullProgress
{
    /// <summary>The registry has the image; its layers come next ("latest: Pulling from library/alpine").</summary>
    void Start(ImageReference reference);

    /// <summary>A layer changes state; <paramref name="id"/> is the first 12 hex of its blob digest.</summary>
    void Layer(string id, LayerEvent e, long current = 0, long total = 0);

    /// <summary>The pull is done: the Digest and Status lines.</summary>
    void Done(PullResult result);
}
