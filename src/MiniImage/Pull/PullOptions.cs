// PullOptions: what a pull may choose: the platform to take from a multi-platform image, how
// many blobs download at once, how often one blob download is retried after a dropped connection.
//
// Why: `pull --platform linux/arm64/v8` and the defaults (the host's platform, 3 parallel
// downloads as Docker's max-concurrent-downloads) belong to the caller, not to the puller.
// Follows: docker-pull(1) "--platform" (os/arch[/variant]); OCI image-spec v1.1 image-index.md
// (platform fields); Go's GOOS/GOARCH names that the spec uses.
using MiniImage.Oci;

namespace MiniImage.Pull;

public sealed class PullOptions
{
    /// <summary>The platform to pick from an index; null: the host's (linux/amd64 on a PC).</summary>
    public Platform? Platform { get; init; }

    /// <summary>Blobs downloaded at the same time (Docker's default max-concurrent-downloads is 3).</summary>
    public int MaxConcurrentDownloads { get; init; } = 3;

    /// <summary>Attempts per blob when the connection drops mid-transfer (each resumes where it stopped).</summary>
    public int MaxBlobAttempts { get; init; } = 5;

    /// <summary>Pause before the second attempt; doubled for each further one.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Parses "os/arch[/variant]" ("linux/arm64/v8", "linux/amd64"); architecture aliases
    /// (x86_64, aarch64) are mapped to the OCI names.
    /// </summary>
    public static Platform ParsePlatform(string value)
    {
        string[] parts = value.Trim().ToLowerInvariant().Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0))
            throw new MiniImageException($"invalid platform {GoQuote.Quote(value)}: expected os/arch[/variant], e.g. linux/arm64/v8");
        string arch = parts[1] switch
        {
            "x86_64" or "x86-64" => "amd64",
            "aarch64" => "arm64",
            "i386" or "i686" => "386",
            "armhf" => "arm",
            var a => a,
        };
        return new Platform { Os = parts[0], Architecture = arch, Variant = parts.Length == 3 ? parts[2] : null };
    }
}
