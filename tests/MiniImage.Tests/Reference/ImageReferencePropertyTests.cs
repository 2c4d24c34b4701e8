// ImageReferencePropertyTests: property tests (CsCheck) of the reference round trip: a reference
// built from generated parts (registry or none, path components with every allowed separator, tag,
// digest) parses to those parts, and its full and familiar forms parse back to the same reference.
//
// Why: `images`, `tag`, `save` and the store all print a reference and read it again later; a form
// that does not read back names another image.
// Follows: distribution/reference grammar (reference.go), docker's familiar form (normalize.go).
using CsCheck;
using MiniImage.Reference;

namespace MiniImage.Tests.Reference;

public sealed class ImageReferencePropertyTests
{
    static readonly Gen<string> Alnum = Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789"], 1, 6];
    static readonly Gen<string> Separator = Gen.OneOf(".", "_", "__", "-", "--", "---");

    /// [a-z0-9]+ joined by separators; `dots`: whether '.' may appear (not in the first component of
    /// a name without a registry, where it would make that component the registry).
    static Gen<string> Component(bool dots) =>
        Gen.Select(Alnum, Gen.Select(dots ? Separator : Separator.Where(s => s != "."), Alnum, (s, a) => s + a).Array[0, 2],
            (first, rest) => first + string.Concat(rest));

    static readonly Gen<string?> Registry = Gen.OneOf<string?>(
        Gen.Const((string?)null),
        Gen.OneOf<string?>(new string?[] { "localhost", "localhost:5000", "quay.io", "127.0.0.1:5000", "[::1]:5000", "Reg-1.Example.COM:443" }),
        Gen.Select(Alnum, Alnum, Gen.Int[1, 65535], (a, b, port) => (string?)$"{a}.{b}:{port}"));

    static readonly Gen<string?> Tag = Gen.OneOf<string?>(
        Gen.Const((string?)null),
        Gen.Select(Gen.Char["abcXYZ019_"], Gen.String[Gen.Char["abcXYZ019_.-"], 0, 20], (c, s) => (string?)(c + s)));

    static readonly Gen<string?> Digest = Gen.OneOf<string?>(
        Gen.Const((string?)null),
        Gen.String[Gen.Char["0123456789abcdef"], 64, 64].Select(h => (string?)("sha256:" + h)));

    static readonly Gen<(string? Registry, string[] Path, string? Tag, string? Digest)> Parts =
        from registry in Registry
        from first in Component(dots: registry is not null)
        from rest in Component(dots: true).Array[0, 2]
        from tag in Tag
        from digest in Digest
        select (registry, rest.Prepend(first).ToArray(), tag, digest);

    static string Text((string? Registry, string[] Path, string? Tag, string? Digest) p) =>
        (p.Registry is null ? "" : p.Registry + "/") + string.Join('/', p.Path)
        + (p.Tag is null ? "" : ":" + p.Tag) + (p.Digest is null ? "" : "@" + p.Digest);

    [Fact]
    public void A_generated_reference_parses_to_its_parts()
    {
        Parts.Sample(p =>
        {
            var r = ImageReference.Parse(Text(p));
            string path = string.Join('/', p.Path);
            Assert.Equal(p.Registry ?? "docker.io", r.Domain);
            Assert.Equal(p.Registry is null && p.Path.Length == 1 ? "library/" + path : path, r.Path);
            Assert.Equal(p.Tag ?? (p.Digest is null ? "latest" : null), r.Tag);
            Assert.Equal(p.Digest, r.Digest?.ToString());
        }, iter: 2000);
    }

    [Fact]
    public void Full_and_familiar_forms_parse_back_to_the_same_reference()
    {
        Parts.Sample(p =>
        {
            var r = ImageReference.Parse(Text(p));
            Assert.Equal(r, ImageReference.Parse(r.ToString()));
            Assert.Equal(r, ImageReference.Parse(r.ToFamiliarString()));
            Assert.Equal(r.ToString(), ImageReference.Parse(r.ToFamiliarString()).ToString());
        }, iter: 2000);
    }

    [Fact]
    public void A_name_on_docker_io_whose_first_component_has_a_dot_keeps_its_registry_in_the_familiar_form()
    {
        // "docker.io/a.b/c" is the repository a.b/c on Docker Hub; "a.b/c" alone would name the
        // registry a.b. The same holds for a first component "localhost".
        Parts.Where(p => p.Registry is null).Sample(p =>
        {
            var r = ImageReference.Parse("docker.io/" + p.Path[0] + ".x/" + Text(p));
            Assert.Equal("docker.io", r.Domain);
            Assert.Equal(r, ImageReference.Parse(r.ToFamiliarString()));
        }, iter: 500);
        var local = ImageReference.Parse("docker.io/localhost/x");
        Assert.Equal(local, ImageReference.Parse(local.ToFamiliarString()));
    }
}
