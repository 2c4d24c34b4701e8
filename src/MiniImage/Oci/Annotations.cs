// Annotations: well-known annotation keys the loader reads from index.json descriptors.
//
// Why: an OCI layout does not name its images in a structured field; tools record the name in
// annotations (containerd/docker: the full reference; OCI/skopeo/umoci: a ref name, often only a tag).
// Follows: OCI image-spec v1.1 annotations.md; containerd's "io.containerd.image.name".
namespace MiniImage.Oci;

public static class Annotations
{
    /// <summary>OCI: "reference" of the image, in practice often just a tag ("latest").</summary>
    public const string RefName = "org.opencontainers.image.ref.name";

    /// <summary>containerd and docker save: the full image reference ("docker.io/library/busybox:latest").</summary>
    public const string ContainerdImageName = "io.containerd.image.name";

    /// <summary>OCI: image creation date (RFC 3339).</summary>
    public const string Created = "org.opencontainers.image.created";

    /// <summary>buildkit: "attestation-manifest" marks a manifest that is not a runnable image.</summary>
    public const string DockerReferenceType = "vnd.docker.reference.type";
}
