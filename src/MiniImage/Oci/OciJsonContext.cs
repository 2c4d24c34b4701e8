// OciJsonContext: source-generated System.Text.Json metadata for the OCI models.
//
// Why: MiniRun is compiled with NativeAOT, where reflection-based serialization is unavailable.
// Follows: System.Text.Json source generation (JsonSerializerContext); OCI JSON omits absent fields.
using System.Text.Json.Serialization;

namespace MiniImage.Oci;

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ImageIndex))]
[JsonSerializable(typeof(ImageManifest))]
[JsonSerializable(typeof(OciLayout))]
[JsonSerializable(typeof(Descriptor))]
internal sealed partial class OciJsonContext : JsonSerializerContext
{
}
