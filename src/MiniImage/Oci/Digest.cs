// Digest: a content address "sha256:<64 lowercase hex>", parsed and validated.
//
// Why: every blob in an image layout and in the store is named by its digest; accepting a
// malformed one (uppercase, short, "../x") could put files outside blobs/, so the store only
// works with values that went through Parse. MiniImage supports sha256 only (what every registry
// and image tool produces); other algorithms are rejected with a clear error.
// Follows: OCI image-spec v1.1 descriptor.md "Digests" (algorithm ":" encoded; sha256 encoded is
// /[a-f0-9]{64}/).
using System.Security.Cryptography;

namespace MiniImage.Oci;

public readonly record struct Digest
{
    public const string Sha256 = "sha256";

    /// <summary>The 64 lowercase hex characters of the sha256.</summary>
    public string Hex { get; }

    public string Algorithm => Sha256;

    private Digest(string hex) => Hex = hex;

    public static Digest Parse(string? value)
    {
        if (TryParse(value, out var d, out var error)) return d;
        throw new MiniImageException($"invalid digest {GoQuote.Quote(value)}: {error}");
    }

    public static bool TryParse(string? value, out Digest digest) => TryParse(value, out digest, out _);

    public static bool TryParse(string? value, out Digest digest, out string error)
    {
        digest = default;
        if (string.IsNullOrEmpty(value)) { error = "empty"; return false; }
        int colon = value.IndexOf(':');
        if (colon <= 0) { error = "expected <algorithm>:<hex>"; return false; }
        string alg = value[..colon];
        if (alg != Sha256) { error = $"unsupported algorithm {GoQuote.Quote(alg)} (only sha256)"; return false; }
        string hex = value[(colon + 1)..];
        if (!IsHex(hex, 64)) { error = "sha256 needs exactly 64 lowercase hex characters"; return false; }
        digest = new Digest(hex);
        error = "";
        return true;
    }

    /// <summary>A digest from 64 hex chars without the "sha256:" prefix.</summary>
    public static Digest FromHex(string hex) =>
        IsHex(hex, 64) ? new Digest(hex) : throw new MiniImageException($"invalid digest hex {GoQuote.Quote(hex)}: need 64 lowercase hex characters");

    public static Digest FromHash(ReadOnlySpan<byte> sha256) => new(Convert.ToHexStringLower(sha256));

    public static Digest Compute(ReadOnlySpan<byte> data) => FromHash(SHA256.HashData(data));

    /// <summary>True if s is exactly `length` lowercase hex characters (length -1: any non-zero length).</summary>
    public static bool IsHex(string s, int length = -1)
    {
        if (s.Length == 0 || (length >= 0 && s.Length != length)) return false;
        foreach (char c in s)
            if (!(c is >= '0' and <= '9' or >= 'a' and <= 'f')) return false;
        return true;
    }

    public override string ToString() => Hex is null ? "" : $"{Sha256}:{Hex}";

    /// <summary>"sha256:" plus the first 12 hex characters, for messages.</summary>
    public string Short => Hex is null ? "" : $"{Sha256}:{Hex[..12]}";
}
