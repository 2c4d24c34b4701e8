// PlatformSelector: picks the one manifest of a multi-platform image (OCI index or Docker
// manifest list) that matches a platform, variant-aware; says which platforms exist when none does.
//
// Rules: os and architecture must be equal. Variants: arm64 without a variant is arm64/v8; arm
// without a variant is arm/v7 (the usual 32-bit host); a wanted variant takes the exact match,
// and for 32-bit arm the highest lower variant (a v7 CPU runs v6 and v5 code). Without a wanted
// variant the entry with the default variant (or none) is preferred, then the first match.
// Attestation manifests (buildkit: platform unknown/unknown, annotation
// vnd.docker.reference.type=attestation-manifest) are never images and are skipped.
// Follows: OCI image-spec v1.1 image-index.md ("platform", variant values); containerd's
// platforms matcher semantics (normalised arm variants).
using MiniImage.Oci;

namespace MiniImage.Pull;

public static class PlatformSelector
{
    /// <summary>The chosen descriptor; throws naming the platforms the index has when none matches.</summary>
    public static Descriptor Select(ImageIndex index, Platform wanted, string what)
    {
        var images = index.Manifests.Where(IsImage).ToList();
        var candidates = images.Where(m => m.Platform is { } p && p.Os == wanted.Os && p.Architecture == wanted.Architecture).ToList();
        string? want = NormaliseVariant(wanted.Architecture, wanted.Variant);
        Descriptor? pick = null;
        if (want is null || wanted.Variant is null)
        {
            // No explicit variant: the default one (or an entry without a variant), else the first.
            pick = candidates.FirstOrDefault(m => NormaliseVariant(m.Platform!.Architecture, m.Platform.Variant) == want)
                   ?? candidates.FirstOrDefault();
        }
        else
        {
            pick = candidates.FirstOrDefault(m => NormaliseVariant(m.Platform!.Architecture, m.Platform.Variant) == want);
            if (pick is null && wanted.Architecture == "arm" && ArmLevel(want) is int level)
                pick = candidates
                    .Select(m => (m, l: ArmLevel(NormaliseVariant("arm", m.Platform!.Variant))))
                    .Where(x => x.l is int l && l < level)
                    .OrderByDescending(x => x.l)
                    .Select(x => x.m)
                    .FirstOrDefault();
        }
        if (pick is not null) return pick;
        var have = images.Where(m => m.Platform is not null).Select(m => m.Platform!.ToString()).Distinct().ToList();
        throw new MiniImageException(
            $"{what}: no matching manifest for {wanted} in the manifest list entries (the image has: {(have.Count == 0 ? "no platforms" : string.Join(", ", have))})");
    }

    private static bool IsImage(Descriptor d) =>
        (MediaTypes.IsManifest(d.MediaType) || d.MediaType.Length == 0) &&
        d.Annotation(Annotations.DockerReferenceType) != "attestation-manifest" &&
        !(d.Platform is { Os: "unknown" } || d.Platform is { Architecture: "unknown" });

    /// <summary>The variant with the architecture's default filled in (arm64 -> v8, arm -> v7).</summary>
    private static string? NormaliseVariant(string architecture, string? variant) => architecture switch
    {
        "arm64" => variant is null or "" or "v8" or "8" ? "v8" : variant,
        "arm" => variant is null or "" ? "v7" : variant.StartsWith('v') ? variant : "v" + variant,
        _ => string.IsNullOrEmpty(variant) ? null : variant,
    };

    private static int? ArmLevel(string? variant) =>
        variant is { Length: > 1 } v && v[0] == 'v' && int.TryParse(v.AsSpan(1), out int n) ? n : null;
}
