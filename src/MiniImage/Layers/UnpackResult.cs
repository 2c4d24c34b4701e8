// UnpackResult: what LayerUnpacker.Unpack reports about a layer it unpacked.
//
// Why: the store records the diff id (sha256 of the uncompressed tar, which the image config's
// rootfs.diff_ids lists) and the unpacked size; `--trace` shows what was applied (entries,
// whiteouts, opaque directories).
// Follows: OCI image-spec v1.1 config.md ("DiffID"), layer.md.
namespace MiniImage.Layers;

/// <param name="DiffId">"sha256:&lt;hex&gt;" of the uncompressed tar stream, every byte of it.</param>
/// <param name="Size">Sum of the sizes of the regular files written (hardlinks not counted twice).</param>
/// <param name="Entries">Tar entries applied; <paramref name="Whiteouts"/> of them deleted a lower file, <paramref name="OpaqueDirectories"/> hid a lower directory's content.</param>
public sealed record UnpackResult(string DiffId, long Size, int Entries = 0, int Whiteouts = 0, int OpaqueDirectories = 0);

/// <summary>A layer the store unpacked (for --trace): its blob, media type, what was applied, where it landed.</summary>
public sealed record LayerUnpacked(string BlobDigest, string MediaType, long CompressedSize, UnpackResult Result, string Directory);
