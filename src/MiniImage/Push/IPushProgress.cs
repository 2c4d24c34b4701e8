// IPushProgress: the events a push reports, per layer as Docker's push output shows them, and
// the result of pushing one tag.
//
// Why: the CLI draws progress bars on a terminal and plain lines otherwise; the pusher only says
// what happens. Calls are serialised by the pusher (never two at once), though they may come from
// different threads.
// Follows: the status strings of Docker's push progress (moby distribution/push_v2.go and xfer):
// "Preparing", "Waiting", "Pushing", "Pushed", "Layer already exists", "Mounted from <repo>",
// and the closing "<tag>: digest: <digest> size: <bytes>" line; docker-push(1).
using MiniImage.Oci;
using MiniImage.Reference;

namespace MiniImage.Push;

public enum PushEvent
{
    Preparing,
    Waiting,
    /// <summary>current/total bytes of the blob sent.</summary>
    Pushing,
    Pushed,
    LayerAlreadyExists,
    /// <summary>Mounted from another repository of the registry (the event's text names it).</summary>
    MountedFrom,
}

/// <summary>One tag pushed: the manifest digest the registry names it by, and the manifest's size in bytes.</summary>
public sealed record PushResult(ImageReference Reference, Digest Digest, int Size, int Uploaded, int Mounted, int Existing);

public interface IPushProgress
{
    /// <summary>"The push refers to repository [127.0.0.1:5000/busybox]": once per push, before any tag.</summary>
    void Start(ImageReference repository);

    /// <summary>A layer changes state; <paramref name="id"/> is the first 12 hex of its diff_id (what docker push shows).
    /// <paramref name="from"/> is the source repository of a mount.</summary>
    void Layer(string id, PushEvent e, long current = 0, long total = 0, string? from = null);

    /// <summary>A tag is pushed: "latest: digest: sha256:... size: 527".</summary>
    void Done(PushResult result);
}
