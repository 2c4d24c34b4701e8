// DirectoryLayoutSource: an OCI image layout that is a directory on disk.
//
// Why: the common output of skopeo/umoci/buildkit ("oci:" or "type=oci,tar=false"). Blobs are
// read on demand and copied into staging with the digest and size verified during the copy;
// blobs the store already has are not read at all.
// Follows: OCI image-spec v1.1 image-layout.md.
using MiniImage.Oci;

namespace MiniImage.Store;

internal sealed class DirectoryLayoutSource : LayoutSource
{
    private readonly Dictionary<string, StagedBlob> _staged = new();

    public DirectoryLayoutSource(string path, StorePaths store, string staging)
        : base(Path.GetFullPath(path), store, staging) { }

    public override byte[] ReadIndexJson()
    {
        CheckLayoutFile(ReadOptional(OciLayout.FileName));
        return ReadOptional(OciLayout.IndexFileName)
            ?? throw new MiniImageException($"{Context}: not an OCI image layout (no {GoQuote.Quote(OciLayout.IndexFileName)} file)");
    }

    public override StagedBlob GetBlob(Descriptor d, string role)
    {
        var digest = d.ParsedDigest($"{Context}: {role}");
        if (_staged.TryGetValue(digest.Hex, out var done)) return done;
        var blob = FromStore(d, digest, role) ?? Copy(d, digest, role);
        _staged[digest.Hex] = blob;
        return blob;
    }

    private StagedBlob Copy(Descriptor d, Digest digest, string role)
    {
        string source = Path.Combine(SourcePath, "blobs", digest.Algorithm, digest.Hex);
        string target = Path.Combine(Staging, digest.Hex);
        FileStream input;
        try { input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new MiniImageException($"{Context}: {role} {digest} is missing from the layout (no blobs/{digest.Algorithm}/{digest.Hex})");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MiniImageException($"{Context}: open {source}: {e.Message}");
        }
        using (input)
            BlobWriter.CopyVerified(input, target, digest, d.Size, $"{Context}: {role}");
        return new StagedBlob(digest, target, InStore: false);
    }

    private byte[]? ReadOptional(string name)
    {
        string file = Path.Combine(SourcePath, name);
        try
        {
            var info = new FileInfo(file);
            if (!info.Exists) return null;
            if (info.Length > MaxJsonSize)
                throw new MiniImageException($"{Context}: {name} is {info.Length} bytes, more than the {MaxJsonSize} allowed");
            return File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MiniImageException($"{Context}: read {name}: {e.Message}");
        }
    }
}
