// ImageReferenceTests: parsing, normalisation, familiar form and errors of image references.
//
// Why: every image a user names goes through this parser; a wrong normalisation would resolve
// the wrong image, a missing check would accept names a registry refuses.
// Follows: distribution/reference grammar and docker's normalisation (see ImageReference.cs).
using MiniImage.Reference;

namespace MiniImage.Tests.Reference;

public sealed class ImageReferenceTests
{
    private const string Hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("alpine", "docker.io", "library/alpine", "latest", "docker.io/library/alpine:latest", "alpine:latest")]
    [InlineData("busybox:1.36", "docker.io", "library/busybox", "1.36", "docker.io/library/busybox:1.36", "busybox:1.36")]
    [InlineData("docker.io/library/busybox:latest", "docker.io", "library/busybox", "latest", "docker.io/library/busybox:latest", "busybox:latest")]
    [InlineData("docker.io/busybox", "docker.io", "library/busybox", "latest", "docker.io/library/busybox:latest", "busybox:latest")]
    [InlineData("index.docker.io/library/busybox", "docker.io", "library/busybox", "latest", "docker.io/library/busybox:latest", "busybox:latest")]
    [InlineData("user/app:1.0", "docker.io", "user/app", "1.0", "docker.io/user/app:1.0", "user/app:1.0")]
    [InlineData("library/a/b", "docker.io", "library/a/b", "latest", "docker.io/library/a/b:latest", "library/a/b:latest")]
    [InlineData("localhost/x", "localhost", "x", "latest", "localhost/x:latest", "localhost/x:latest")]
    [InlineData("localhost:5000/x", "localhost:5000", "x", "latest", "localhost:5000/x:latest", "localhost:5000/x:latest")]
    [InlineData("127.0.0.1:5000/a/b:c", "127.0.0.1:5000", "a/b", "c", "127.0.0.1:5000/a/b:c", "127.0.0.1:5000/a/b:c")]
    [InlineData("[::1]:5000/a:v", "[::1]:5000", "a", "v", "[::1]:5000/a:v", "[::1]:5000/a:v")]
    [InlineData("reg.example-1.io/e_f.g---h__i/j:Tag_1.x-y", "reg.example-1.io", "e_f.g---h__i/j", "Tag_1.x-y", "reg.example-1.io/e_f.g---h__i/j:Tag_1.x-y", "reg.example-1.io/e_f.g---h__i/j:Tag_1.x-y")]
    public void Parses(string input, string domain, string path, string tag, string full, string familiar)
    {
        var r = ImageReference.Parse(input);
        Assert.Equal((domain, path, tag), (r.Domain, r.Path, r.Tag));
        Assert.Null(r.Digest);
        Assert.Equal(full, r.ToString());
        Assert.Equal(familiar, r.ToFamiliarString());
    }

    [Fact]
    public void DigestOnly_HasNoTag()
    {
        var r = ImageReference.Parse($"ghcr.io/org/app@sha256:{Hex}");
        Assert.Equal(("ghcr.io", "org/app", null), (r.Domain, r.Path, r.Tag));
        Assert.Equal($"sha256:{Hex}", r.Digest.ToString());
        Assert.Equal($"ghcr.io/org/app@sha256:{Hex}", r.ToString());
        Assert.Equal("ghcr.io/org/app", r.FamiliarName);
    }

    [Fact]
    public void TagAndDigest_BothKept()
    {
        var r = ImageReference.Parse($"name:tag@sha256:{Hex}");
        Assert.Equal(("docker.io", "library/name", "tag"), (r.Domain, r.Path, r.Tag));
        Assert.Equal(Hex, r.Digest!.Value.Hex);
        Assert.Equal($"name:tag@sha256:{Hex}", r.ToFamiliarString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("UPPER", "must be lowercase")]
    [InlineData("a:b:c", "\"a:b\"")]
    [InlineData(":tag", "missing repository name")]
    [InlineData("busybox:", "empty tag")]
    [InlineData("busybox:-x", "tag \"-x\"")]
    [InlineData("busybox:a/b", "registry \"busybox:a\": port \"a\"")]
    [InlineData("a_b.io/x", "registry \"a_b.io\"")]
    [InlineData("a//b", "empty")]
    [InlineData("a/", "empty")]
    [InlineData("-a", "start and end")]
    [InlineData("a-", "start and end")]
    [InlineData("a..b", "separator \"..\"")]
    [InlineData("a___b", "separator \"___\"")]
    [InlineData("a._b", "separator \"._\"")]
    [InlineData("a b", "character ' '")]
    [InlineData("host:port/x", "port \"port\"")]
    [InlineData("-bad.io/x", "starts or ends with '-'")]
    [InlineData("x@sha256:abc", "64 lowercase hex")]
    [InlineData("x@md5:abc", "unsupported algorithm")]
    public void Rejects_NamingTheBadPart(string input, string expected)
    {
        var e = Assert.Throws<MiniImageException>(() => ImageReference.Parse(input));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith($"invalid reference \"{input}\"", e.Message);
        Assert.False(ImageReference.TryParse(input, out _));
    }

    [Fact]
    public void Limits_TagLengthAndNameLength()
    {
        Assert.True(ImageReference.TryParse("a:" + new string('t', 128), out _));
        Assert.False(ImageReference.TryParse("a:" + new string('t', 129), out _));
        Assert.True(ImageReference.TryParse(new string('a', 255), out _));
        Assert.False(ImageReference.TryParse(new string('a', 256), out _));
    }

    [Fact]
    public void UppercaseRegistryHostIsAllowed()
    {
        var r = ImageReference.Parse("Registry.Example.com/x");
        Assert.Equal("Registry.Example.com", r.Domain);
    }
}
