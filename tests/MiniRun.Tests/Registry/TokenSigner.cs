// TokenSigner: the signing half of a registry token server: an EC P-256 CA certificate made in
// the test (its PEM goes into the registry's rootcertbundle) and ES256 JWTs signed with its key,
// carrying the libtrust key ID of that key in `kid`.
//
// Why: distribution 2.8 checks a bearer token's signature against the keys of the certificates
// in its bundle; the `kid` must be libtrust's fingerprint of the key, the signature JOSE r||s
// (64 bytes for ES256), and `aud` a single string. /work/shared/notes/registry-token-auth.md
// records exactly what the registry accepts; this class follows its section 5 recipe.
// Follows: RFC 7515 (JWS compact serialization, base64url without padding), RFC 7518 3.4 (ES256,
// r||s), RFC 7519 (iss, sub, aud, exp, nbf, iat, jti), libtrust's key ID (SHA-256 of the DER
// SubjectPublicKeyInfo, first 240 bits, base32 without padding, 12 groups of 4 joined by ':'),
// the Docker token spec's `access` claim ({type, name, actions}).
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace MiniRun.Tests.Registry;

/// <summary>One granted access entry: type "repository", the repository name, the actions.</summary>
public sealed record AccessEntry(string Type, string Name, string[] Actions);

public sealed class TokenSigner : IDisposable
{
    private readonly ECDsa key;

    /// <summary>The self-signed CA certificate, PEM (one CERTIFICATE block).</summary>
    public string CertificatePem { get; }
    /// <summary>libtrust key ID of the CA key, e.g. PYYO:TEWU:...:Z7Q6 (48 base32 characters in 12 groups).</summary>
    public string KeyId { get; }

    public TokenSigner()
    {
        key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=minirun-test-token-ca", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
        var now = DateTimeOffset.UtcNow;
        using var cert = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        CertificatePem = cert.ExportCertificatePem() + "\n";
        KeyId = LibtrustKeyId(key.ExportSubjectPublicKeyInfo());
    }

    /// <summary>libtrust's key ID of a DER SubjectPublicKeyInfo.</summary>
    public static string LibtrustKeyId(byte[] subjectPublicKeyInfo)
    {
        byte[] hash = SHA256.HashData(subjectPublicKeyInfo).AsSpan(0, 30).ToArray();
        string b32 = Base32(hash); // 240 bits -> exactly 48 characters, no padding
        var groups = Enumerable.Range(0, b32.Length / 4).Select(i => b32.Substring(i * 4, 4));
        return string.Join(':', groups);
    }

    private static string Base32(byte[] data)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var sb = new StringBuilder();
        int buffer = 0, bits = 0;
        foreach (byte b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                sb.Append(alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0) sb.Append(alphabet[(buffer << (5 - bits)) & 31]);
        return sb.ToString();
    }

    /// <summary>A compact ES256 JWT with the registry's claims, valid from now for <paramref name="lifetime"/>.</summary>
    public string Sign(string issuer, string audience, string? subject, IReadOnlyList<AccessEntry> access, TimeSpan lifetime)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string header = Json(w =>
        {
            w.WriteString("typ", "JWT");
            w.WriteString("alg", "ES256");
            w.WriteString("kid", KeyId);
        });
        string claims = Json(w =>
        {
            w.WriteString("iss", issuer);
            w.WriteString("sub", subject ?? "");
            w.WriteString("aud", audience); // a single string: distribution 2.8 rejects an array
            w.WriteNumber("exp", now + (long)lifetime.TotalSeconds);
            w.WriteNumber("nbf", now);
            w.WriteNumber("iat", now);
            w.WriteString("jti", Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
            w.WriteStartArray("access");
            foreach (var a in access)
            {
                w.WriteStartObject();
                w.WriteString("type", a.Type);
                w.WriteString("name", a.Name);
                w.WriteStartArray("actions");
                foreach (var action in a.Actions) w.WriteStringValue(action);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
        string signingInput = B64Url(Encoding.UTF8.GetBytes(header)) + "." + B64Url(Encoding.UTF8.GetBytes(claims));
        byte[] signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256,
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation); // r||s, 64 bytes
        return signingInput + "." + B64Url(signature);
    }

    private static string Json(Action<Utf8JsonWriter> body)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    public static string B64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose() => key.Dispose();
}
