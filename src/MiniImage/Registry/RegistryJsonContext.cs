// RegistryJsonContext: the JSON documents of the registry protocol - the token endpoint's answer and
// the error body - with source-generated System.Text.Json metadata.
//
// Why: NativeAOT has no reflection-based serialization (house rule: source-generated contexts only).
// Follows: distribution spec/auth/token.md ("token", "access_token", "expires_in", "issued_at");
// OCI distribution-spec "Error Codes" ({"errors":[{"code","message","detail"}]}).
using System.Text.Json.Serialization;

namespace MiniImage.Registry;

internal sealed class TokenResponse
{
    [JsonPropertyName("token")] public string? Token { get; set; }
    [JsonPropertyName("access_token")] public string? AccessToken { get; set; }
    [JsonPropertyName("expires_in")] public long? ExpiresIn { get; set; }
    [JsonPropertyName("issued_at")] public string? IssuedAt { get; set; }
}

internal sealed class ErrorResponse
{
    [JsonPropertyName("errors")] public List<ErrorEntry>? Errors { get; set; }
}

internal sealed class ErrorEntry
{
    [JsonPropertyName("code")] public string? Code { get; set; }
    [JsonPropertyName("message")] public string? Message { get; set; }
}

[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext
{
}
