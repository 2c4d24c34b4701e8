// UnpackResult: what LayerUnpacker.Unpack reports about a layer it unpacked.
//
// Why: the store records the diff id (sha256 of the uncompressed tar, which the image config's
// rootfs.diff_ids lists) and the unpacked size.
// Follows: OCI image-spec v1.1 config.md ("DiffID"), layer.md.
namespace MiniImage.Layers;

/// <param name="DiffId">"sha256:&lt;hex&gt;" of the uncompressed tar stream, every byte of it.</param>
/// <param name="Size">Sum of the sizes of the regular files written (hardlinks not counted twice).</param>
public sealed record UnpackResult(string DiffId, long Size);
