// OciTargets: the image documents read from registries and archives. "oci-index" (ImageIndex.Parse
// then the platform choice a pull makes), "oci-manifest" (ImageManifest.Parse and the digests a
// load checks), "oci-config" (ImageConfig.Parse and the diff_ids a load checks), "docker-archive"
// (the input as manifest.json inside a small fixed `docker save` archive, loaded by
// DockerArchiveSource).
//
// Invariants: only MiniImageException (index, manifest, archive) or JsonException /
// InvalidDataException (config: what LayoutImporter and ImagePuller catch); a document accepted is
// written back (ToJson) and read again to the same JSON; the archive's staging stays inside its
// scratch directory.
// Follows: docs/fuzzing.md; OCI image-spec v1.1 (index, manifest, config); moby image/spec v1.2.
using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using MiniImage;
using MiniImage.Archive;
using MiniImage.Oci;
using MiniImage.Pull;
using MiniImage.Store;

namespace MiniRun.Fuzz;

static class OciTargets
{
    public static void Index(byte[] input)
    {
        try
        {
            var index = ImageIndex.Parse(input, "fuzz index");
            byte[] json = index.ToJson();
            if (!ImageIndex.Parse(json, "fuzz index written back").ToJson().AsSpan().SequenceEqual(json))
                throw new FuzzInvariantException("oci-index: written back, the index reads differently");
            foreach (var d in index.Manifests) d.ParsedDigest("fuzz index manifest");
            PlatformSelector.Select(index, Platform.Host, "fuzz index");
        }
        catch (MiniImageException) { }
    }

    public static void Manifest(byte[] input)
    {
        try
        {
            var m = ImageManifest.Parse(input, "fuzz manifest");
            byte[] json = m.ToJson();
            if (!ImageManifest.Parse(json, "fuzz manifest written back").ToJson().AsSpan().SequenceEqual(json))
                throw new FuzzInvariantException("oci-manifest: written back, the manifest reads differently");
            m.Config.ParsedDigest("fuzz manifest config");
            foreach (var l in m.Layers) l.ParsedDigest("fuzz manifest layer");
        }
        catch (MiniImageException) { }
    }

    public static void Config(byte[] input)
    {
        ImageConfig config;
        try { config = ImageConfig.Parse(input); }
        catch (Exception e) when (e is JsonException or InvalidDataException) { return; }
        byte[] json = config.ToJson();
        if (!ImageConfig.Parse(json).ToJson().AsSpan().SequenceEqual(json))
            throw new FuzzInvariantException("oci-config: written back, the config reads differently");
        // What LayoutImporter and ImagePuller do next with it.
        foreach (string diffId in config.RootFs.DiffIds) Digest.TryParse(diffId, out _, out _);
        _ = config.Config?.Env?.Count;
        _ = config.History?.Count;
    }

    public static void DockerArchiveManifest(byte[] input)
    {
        using var scratch = new Scratch("archive");
        string archive = Path.Combine(scratch.Root, "archive.tar");
        WriteArchive(archive, input);
        var store = new StorePaths(scratch.Directory("store"));
        string staging = scratch.Directory("staging");
        try
        {
            var source = new DockerArchiveSource(archive, store, staging);
            var index = ImageIndex.Parse(source.ReadIndexJson(), "fuzz docker-archive index");
            foreach (var d in index.Manifests) source.GetBlob(d, "manifest");
        }
        catch (MiniImageException) { }
        scratch.CheckOnly("archive.tar", "store", "staging");
    }

    /// A `docker save` archive whose manifest.json is the input; the names seeds use are present:
    /// config.json, l1/layer.tar, blobs/sha256/<hex> (a second layer), l2 -> l1 (a symlink),
    /// hard.tar (a hardlink to l1/layer.tar) and repositories.
    static void WriteArchive(string path, byte[] manifestJson)
    {
        using var file = File.Create(path);
        using var w = new TarWriter(file, TarEntryFormat.Pax, leaveOpen: false);
        void Add(string name, byte[] data)
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data), ModificationTime = Epoch });
        }
        byte[] layer = FixedLayer;
        Add("config.json", Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"));
        Add("l1/layer.tar", layer);
        Add("blobs/sha256/" + Digest.Compute("x"u8).Hex, layer[..512]);   // the name seeds use; content differs
        w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "l2") { LinkName = "l1", ModificationTime = Epoch });
        w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "hard.tar") { LinkName = "l1/layer.tar", ModificationTime = Epoch });
        Add("repositories", Encoding.UTF8.GetBytes("{\"busybox\":{\"latest\":\"0\"}}"));
        Add("manifest.json", manifestJson);
    }

    /// Fixed times: the archive is the same bytes in every run (afl-fuzz wants a deterministic target).
    static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    /// A one-file plain tar layer (etc/hostname).
    static readonly byte[] FixedLayer = MakeLayer();

    static byte[] MakeLayer()
    {
        var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Ustar, leaveOpen: true))
            w.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "etc/hostname") { DataStream = new MemoryStream("fuzz\n"u8.ToArray()), ModificationTime = Epoch });
        return ms.ToArray();
    }
}
