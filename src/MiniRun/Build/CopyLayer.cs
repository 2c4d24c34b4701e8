// CopyLayer: the layer of a COPY or ADD step, written without a container: an uncompressed OCI layer
// tar holding the entries CopySources resolved, under their paths in the image.
//
// What goes in, as Docker's COPY makes it:
//   - the parent directories of every target (mode 0755, or the image's own when the caller says
//     what the image has, so COPY into /tmp keeps /tmp's 1777), owned like the copied files;
//   - files, directories and symlinks with their modes and mtimes; owners 0:0 unless --chown gave
//     uid/gid (a uid alone gives the same gid, as Docker's numeric --chown=10 does); --chmod
//     replaces the mode of files and directories (not of symlinks, not of created parents);
//   - for ADD (extractArchives), a file named directly as a source that is a tar archive (plain,
//     gzip, bzip2 or xz, recognised by its content, not its name) is extracted into the destination
//     directory instead; its entries keep their owners unless --chown is given.
// The tar is written by MiniImage's TarEntryWriter and read by its TarEntryReader (the store's own
// reader and writer), so what is written here unpacks exactly as a pulled layer does.
//
// Follows: https://docs.docker.com/reference/dockerfile/#copy (--chown, --chmod) and #add (local tar
// archives); OCI image-spec v1.1 layer.md; RFC 1952 (gzip magic 1f 8b), bzip2 ("BZh"), xz file format
// 1.0.4 section 2.1.1.1 (magic fd 37 7a 58 5a 00).
using System.IO.Compression;
using System.Text;
using MiniImage.Layers;

namespace MiniRun.Build;

public static class CopyLayer
{
    /// <summary>Writes the layer (see the header); created parent directories get mode 0755.</summary>
    public static void Write(Stream tarOut, IReadOnlyList<ContextEntry> entries, int? uid, int? gid, UnixFileMode? chmod, bool extractArchives)
        => Write(tarOut, entries, uid, gid, chmod, extractArchives, existingDirectory: null);

    /// <summary>
    /// As Write; `existingDirectory` tells the mode and owner a parent directory already has in the
    /// image (null when it does not exist), so an included parent keeps them.
    /// </summary>
    public static void Write(Stream tarOut, IReadOnlyList<ContextEntry> entries, int? uid, int? gid, UnixFileMode? chmod, bool extractArchives,
        Func<string, (UnixFileMode Mode, int Uid, int Gid)?>? existingDirectory)
    {
        var tar = new TarEntryWriter(tarOut);
        uint owner = (uint)(uid ?? 0), group = (uint)(gid ?? uid ?? 0);
        var written = new HashSet<string>(StringComparer.Ordinal);
        long parentTime = 0;
        foreach (var e in entries)
            if (FileStat.Lstat(e.FullPath) is { } st) parentTime = Math.Max(parentTime, st.MtimeSec);

        void Parents(string name)
        {
            int slash = -1;
            while ((slash = name.IndexOf('/', slash + 1)) > 0)
            {
                string dir = name[..slash];
                if (!written.Add(dir)) continue;
                var have = existingDirectory?.Invoke("/" + dir);
                tar.WriteHeader(new TarEntry
                {
                    Type = TarEntryType.Directory, Name = Bytes(dir + "/"),
                    Mode = have is { } h ? (int)h.Mode : 0x1ed, // 0755
                    Uid = have is { } h2 ? (uint)h2.Uid : owner, Gid = have is { } h3 ? (uint)h3.Gid : group,
                    MtimeSec = parentTime,
                });
            }
        }

        foreach (var e in entries)
        {
            string name = GoPath.Clean("/" + e.TargetPath).TrimStart('/');
            if (name.Length == 0) continue; // the image's root directory itself is not written
            var st = FileStat.Lstat(e.FullPath) ?? throw new BuildException($"COPY failed: {e.RelativePath} disappeared while copying");
            if (e.Kind == 'f' && extractArchives && e.ExtractTo is { } into && Archive.Open(e.FullPath) is { } archive)
            {
                using (archive) Extract(tar, archive, GoPath.Clean("/" + into).TrimStart('/'), uid is null ? null : owner, uid is null ? null : group, Parents, written, e.RelativePath);
                continue;
            }
            Parents(name);
            var t = new TarEntry { Uid = owner, Gid = group, MtimeSec = st.MtimeSec };
            switch (e.Kind)
            {
                case 'd':
                    t.Type = TarEntryType.Directory;
                    t.Name = Bytes(name + "/");
                    t.Mode = (int)(chmod ?? st.Mode);
                    written.Add(name);
                    tar.WriteHeader(t);
                    break;
                case 'l':
                    t.Type = TarEntryType.Symlink;
                    t.Name = Bytes(name);
                    t.LinkName = Bytes(FileStat.ReadLink(e.FullPath));
                    t.Mode = 0x1ff;
                    tar.WriteHeader(t);
                    break;
                default:
                    t.Type = TarEntryType.File;
                    t.Name = Bytes(name);
                    t.Mode = (int)(chmod ?? st.Mode);
                    using (var f = new FileStream(e.FullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16))
                    {
                        t.Size = f.Length;
                        tar.WriteHeader(t);
                        var buf = new byte[1 << 16];
                        long left = t.Size;
                        while (left > 0)
                        {
                            int n = f.Read(buf, 0, (int)Math.Min(buf.Length, left));
                            if (n <= 0) { Array.Clear(buf); n = (int)Math.Min(buf.Length, left); } // shrank while read: zeros, as promised
                            tar.WriteData(buf.AsSpan(0, n));
                            left -= n;
                        }
                        tar.EndData(t.Size);
                    }
                    break;
            }
        }
        tar.Finish();
    }

    /// <summary>
    /// The entries with their targets as they land in the image whose root filesystem is `rootfs`:
    /// symlinks among the directories of a target (Debian's /bin -> usr/bin, /var/run -> /run) are
    /// followed inside the rootfs, as Docker's COPY follows them, so the layer adds to /usr/bin
    /// instead of replacing the /bin symlink with a directory. A directory entry (the destination
    /// of a directory source) and ExtractTo are resolved whole; a file or symlink keeps its own name.
    /// </summary>
    public static IReadOnlyList<ContextEntry> ResolveTargets(IReadOnlyList<ContextEntry> entries, string rootfs)
    {
        string root = Path.GetFullPath(rootfs).TrimEnd('/');
        var cache = new Dictionary<string, string>(StringComparer.Ordinal);
        string InImage(string path)
        {
            path = GoPath.Clean("/" + path);
            if (path == "/") return "/";
            if (cache.TryGetValue(path, out string? done)) return done;
            string host = CopySources.ResolveInside(root.Length == 0 ? "/" : root, path.TrimStart('/'), path, "COPY", clamp: true);
            string rel = host.Length <= root.Length ? "/" : host[root.Length..];
            return cache[path] = rel.Length == 0 ? "/" : rel;
        }
        string Join(string dir, string name) => dir == "/" ? "/" + name : dir + "/" + name;
        var result = new List<ContextEntry>(entries.Count);
        foreach (var e in entries)
        {
            string target = GoPath.Clean("/" + e.TargetPath);
            string resolved = e.Kind == 'd' ? InImage(target)
                : target == "/" ? "/" : Join(InImage(GoPath.Dir(target)), target[(target.LastIndexOf('/') + 1)..]);
            result.Add(e with { TargetPath = resolved, ExtractTo = e.ExtractTo is null ? null : InImage(e.ExtractTo) });
        }
        return result;
    }

    /// <summary>An `existingDirectory` for Write from an image's root filesystem: a path that is a directory there gives its mode and owner.</summary>
    public static Func<string, (UnixFileMode Mode, int Uid, int Gid)?> ExistingDirectories(string rootfs)
    {
        string root = Path.GetFullPath(rootfs).TrimEnd('/');
        return path => FileStat.Lstat(root + GoPath.Clean("/" + path)) is { Kind: 'd' } st ? (st.Mode, st.Uid, st.Gid) : null;
    }

    /// Copies the entries of a tar archive under `into` ("" is the image's root).
    static void Extract(TarEntryWriter tar, Stream archive, string into, uint? uid, uint? gid, Action<string> parents,
        HashSet<string> written, string source)
    {
        string prefix = into.Length == 0 ? "" : into + "/";
        if (into.Length > 0)
        {
            parents(prefix + "x");
        }
        using var input = new HashingTarInput(archive);
        var reader = new TarEntryReader(input);
        var e = new TarEntry();
        try
        {
            while (reader.Next(e))
            {
                byte[]? clean = LayerPath.Clean(e.Name);
                if (clean is null) throw new BuildException($"ADD failed: {source}: archive entry {LayerPath.Quote(e.Name)} escapes the destination");
                if (clean.Length == 0) continue; // "./"
                string name = prefix + Encoding.UTF8.GetString(clean);
                parents(name);
                e.Name = Bytes(e.Type == TarEntryType.Directory ? name + "/" : name);
                if (e.Type == TarEntryType.Directory) written.Add(name);
                if (e.Type == TarEntryType.HardLink)
                {
                    byte[]? link = LayerPath.Clean(e.LinkName);
                    if (link is null || link.Length == 0) throw new BuildException($"ADD failed: {source}: archive entry {LayerPath.Quote(e.Name)} links outside the archive");
                    e.LinkName = Bytes(prefix + Encoding.UTF8.GetString(link));
                }
                if (uid is { } u) e.Uid = u;
                if (gid is { } g) e.Gid = g;
                tar.WriteHeader(e);
                if (e.Type == TarEntryType.File)
                {
                    long left = e.Size;
                    while (left > 0)
                    {
                        var chunk = reader.ReadData(left);
                        if (chunk.Length == 0) throw new BuildException($"ADD failed: {source}: archive truncated");
                        tar.WriteData(chunk);
                        left -= chunk.Length;
                    }
                    tar.EndData(e.Size);
                }
            }
        }
        catch (FormatException ex) { throw new BuildException($"ADD failed: {source}: {ex.Message}"); }
        catch (InvalidDataException ex) { throw new BuildException($"ADD failed: {source}: {ex.Message}"); }
        catch (EndOfStreamException) { throw new BuildException($"ADD failed: {source}: archive truncated"); }
    }

    static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    /// Recognises a tar archive by content: the decompressed stream's first block must be a tar header.
    static class Archive
    {
        /// The uncompressed tar stream of `path`, or null when it is not a tar archive (then it is copied as a file).
        public static Stream? Open(string path)
        {
            var head = new byte[6];
            int n;
            using (var f = File.OpenRead(path)) n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (n == 0) return null;
            Stream Decompressed()
            {
                var f = File.OpenRead(path);
                if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) return new GZipStream(f, CompressionMode.Decompress);
                if (n >= 3 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h')
                    return SharpCompress.Compressors.BZip2.BZip2Stream.Create(f, SharpCompress.Compressors.CompressionMode.Decompress, true);
                if (n >= 6 && head.AsSpan().SequenceEqual(new byte[] { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00 }))
                    return new SharpCompress.Compressors.Xz.XZStream(f);
                return f;
            }
            try
            {
                using (var probe = Decompressed())
                {
                    var block = new byte[512];
                    if (probe.ReadAtLeast(block, 512, throwOnEndOfStream: false) < 512 || !IsTarHeader(block)) return null;
                }
                return Decompressed();
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or FormatException or InvalidOperationException)
            {
                return null; // compressed, but not valid data: copied as a file, as Docker does
            }
        }

        /// A ustar/GNU/v7 header: its checksum field matches the block.
        static bool IsTarHeader(byte[] b)
        {
            if (b[0] == 0) return false;
            long stored = 0;
            int i = 148;
            while (i < 156 && (b[i] == ' ' || b[i] == 0)) i++;
            for (; i < 156 && b[i] >= '0' && b[i] <= '7'; i++) stored = stored * 8 + (b[i] - '0');
            long sum = 0;
            for (int k = 0; k < 512; k++) sum += k is >= 148 and < 156 ? ' ' : b[k];
            return stored == sum;
        }
    }
}
