// ContainerCopy: the engine's `minirun cp [-a] CONTAINER:SRC DEST` and `minirun cp [-a] SRC CONTAINER:DEST`, files
// and directories (recursive), `-` for a tar stream on stdout (SRC side in the container) or
// stdin (DEST side in the container).
//
// Why it moves a tar stream, as `docker cp` does: the sending side writes SRC as tar
// (LayerWriter, which never follows a symlink), the receiving side extracts it (TarExtractor,
// which creates every entry beneath its target directory without following symlinks), joined by
// a pipe between two threads. Paths inside the container are resolved with openat2
// (RESOLVE_IN_ROOT) against the container's root (OverlayRoot: /proc/PID/root while it runs,
// its overlay mounted in a private mount namespace while it is stopped), so "/", ".." and
// symlinks (even /evil -> /) resolve inside the container and never reach the host.
// Destination rules (docker-cp(1)): DEST an existing directory -> SRC is copied into it under
// its own name (only its contents when SRC ends in "/."); DEST absent -> created as a copy of SRC
// (its parent must exist); DEST an existing file -> replaced by a file SRC, an error for a
// directory SRC. Owners: without -a every copied entry belongs to 0:0 (root in the container
// when copying in, the invoking root user when copying out); -a keeps the source's uid/gid. In a
// remapped container (--userns=remap) ids are translated (Security/IdTranslation.cs): copied in,
// 0 becomes the mapped root (e.g. 100000); copied out with -a, the container's view is kept.
// Follows: docker-cp(1); openat2(2) RESOLVE_IN_ROOT; pipe(7).
using System.IO.Pipes;
using MiniImage.Layers;
using MiniRun.Containers;
using static Tmds.Linux.LibC;

namespace MiniRun.Engine;

public static unsafe class ContainerCopy
{
    /// <param name="openStdin">The tar stream for SRC "-" (the CLI gives its stdin).</param>
    /// <param name="openStdout">Where DEST "-" writes the tar stream (the CLI gives its stdout).</param>
    public static int Run(string root, string source, string dest, bool archive, Func<Stream> openStdin, Func<Stream> openStdout)
    {
        var (srcContainer, srcPath) = Split(source);
        var (dstContainer, dstPath) = Split(dest);
        if (srcContainer is not null && dstContainer is not null)
            throw new ContainerException("copying between containers is not supported", 1);
        if (srcContainer is null && dstContainer is null)
            throw new ContainerException("must specify at least one container source", 1);
        var store = new ContainerStore(root);
        var options = new LayerWriterOptions
        {
            ForceUid = archive ? null : 0, ForceGid = archive ? null : 0,
            Label = $"cp {source} {dest}",
        };
        if (srcContainer is not null)
        {
            var record = FilesystemCommon.Find(store, srcContainer);
            // Remapped (Security/IdTranslation.cs): -a keeps the owner as the container sees it.
            if (archive && MiniRun.Security.IdTranslation.Of(store.DirOf(record.Id)) is { } outIds)
                options = new LayerWriterOptions { MapUid = outIds.UidToContainer, MapGid = outIds.GidToContainer, Label = options.Label };
            return FilesystemCommon.Guard($"cp {source}", () =>
                OverlayRoot.With(store, record, "cp", rootFd => CopyOut(rootFd, srcContainer, srcPath, dstPath, options, openStdout)));
        }
        var target = FilesystemCommon.Find(store, dstContainer!);
        // Remapped: what is copied in belongs to the mapped ids (root inside: the range's first uid).
        if (MiniRun.Security.IdTranslation.Of(store.DirOf(target.Id)) is { } inIds)
            options = new LayerWriterOptions
            {
                ForceUid = options.ForceUid, ForceGid = options.ForceGid, MapUid = inIds.UidToHost, MapGid = inIds.GidToHost, Label = options.Label,
            };
        return FilesystemCommon.Guard($"cp {dest}", () =>
            OverlayRoot.With(store, target, "cp", rootFd => CopyIn(rootFd, dstContainer!, srcPath, dstPath, options, openStdin)));
    }

    /// <summary>"name:path" -> (name, path); "-", paths starting with / or . and paths without ':' are local.</summary>
    public static (string? Container, string Path) Split(string arg)
    {
        if (arg == "-" || arg.StartsWith('/') || arg.StartsWith('.')) return (null, arg);
        int colon = arg.IndexOf(':');
        if (colon <= 0) return (null, arg);
        string path = arg[(colon + 1)..];
        return (arg[..colon], path.Length == 0 ? "/" : path);
    }

    private static int CopyOut(int rootFd, string container, string srcPath, string dest, LayerWriterOptions options, Func<Stream> openStdout)
    {
        bool contents = EndsWithDot(srcPath);
        var (parent, name) = ParentAndName(srcPath);
        int parentFd = OverlayRoot.ResolveInRoot(rootFd, parent, O_RDONLY | O_DIRECTORY);
        if (parentFd < 0) throw NotFound(srcPath, container);
        try
        {
            bool isDir = IsDirectory(parentFd, name) ?? throw NotFound(srcPath, container);
            if (dest == "-")
            {
                using var stdout = openStdout();
                using var buffered = new BufferedStream(stdout, 1 << 16);
                LayerWriter.WriteEntry(parentFd, Utf8(name), Utf8(TarName(name)), buffered, options);
                buffered.Flush();
                return 0;
            }
            string full = Path.GetFullPath(dest);
            string tarName;
            string extractInto;
            if (Directory.Exists(full))
            {
                extractInto = full;
                tarName = contents ? "." : TarName(name);
            }
            else if (File.Exists(full) || new FileInfo(full).LinkTarget is not null)
            {
                if (isDir) throw new ContainerException($"cannot copy directory: destination {GoQuote.Quote(dest)} is not a directory", 1);
                if (dest.EndsWith('/')) throw new ContainerException($"destination {GoQuote.Quote(dest)} must be a directory", 1);
                extractInto = Path.GetDirectoryName(full)!;
                tarName = Path.GetFileName(full);
            }
            else
            {
                if (dest.EndsWith('/') && !isDir) throw new ContainerException($"destination directory {GoQuote.Quote(dest)} does not exist", 1);
                extractInto = Path.GetDirectoryName(full.TrimEnd('/'))!;
                if (!Directory.Exists(extractInto)) throw new ContainerException($"destination directory {GoQuote.Quote(extractInto)} does not exist", 1);
                tarName = Path.GetFileName(full.TrimEnd('/'));
            }
            Pipe(output => LayerWriter.WriteEntry(parentFd, Utf8(name), Utf8(tarName), output, options),
                 input => TarExtractor.Extract(input, extractInto, options.Label));
            return 0;
        }
        finally { close(parentFd); }
    }

    private static int CopyIn(int rootFd, string container, string source, string dstPath, LayerWriterOptions options, Func<Stream> openStdin)
    {
        // Where in the container: an existing directory (symlinks followed, inside the root) takes
        // SRC under its own name; otherwise the parent takes it under DEST's last component.
        int dirFd = OverlayRoot.ResolveInRoot(rootFd, dstPath, O_RDONLY | O_DIRECTORY);
        string? rename = null;
        if (dirFd < 0)
        {
            if (source == "-") throw new ContainerException($"Could not find the directory {dstPath} in container {container}", 1);
            if (dirFd == -ENOENT && dstPath.EndsWith('/'))
                throw new ContainerException($"Could not find the directory {dstPath} in container {container}", 1);
            var (parent, name) = ParentAndName(dstPath);
            dirFd = OverlayRoot.ResolveInRoot(rootFd, parent, O_RDONLY | O_DIRECTORY);
            if (dirFd < 0) throw new ContainerException($"Could not find the directory {parent} in container {container}", 1);
            rename = name;
        }
        try
        {
            string into = $"/proc/self/fd/{dirFd}";
            if (source == "-")
            {
                using var stdin = openStdin();
                TarExtractor.Extract(stdin, into, options.Label);
                return 0;
            }
            string full = Path.GetFullPath(source);
            string srcParent = Path.GetDirectoryName(full.TrimEnd('/')) ?? "/";
            string srcName = full == "/" ? "." : Path.GetFileName(full.TrimEnd('/'));
            var info = new FileInfo(full);
            if (!info.Exists && !Directory.Exists(full) && info.LinkTarget is null)
                throw new ContainerException($"lstat {source}: no such file or directory", 1);
            bool srcIsDir = Directory.Exists(full) && info.LinkTarget is null;
            if (rename is not null)
            {
                // DEST exists as a non-directory: only a file may replace it.
                int existing = OverlayRoot.ResolveInRoot(dirFd, rename, O_PATH | O_NOFOLLOW);
                if (existing >= 0)
                {
                    close(existing);
                    if (srcIsDir) throw new ContainerException($"cannot copy directory: destination {GoQuote.Quote(dstPath)} is not a directory", 1);
                }
            }
            string tarName = rename ?? (EndsWithDot(source) ? "." : srcName);
            int parentFd;
            fixed (byte* p = OverlayLayout.Z(srcParent)) parentFd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (parentFd < 0) throw new ContainerException($"cp: open {srcParent}: {OverlayRoot.Describe(errno)}", 1);
            try
            {
                Pipe(output => LayerWriter.WriteEntry(parentFd, Utf8(srcName), Utf8(tarName), output, options),
                     input => TarExtractor.Extract(input, into, options.Label));
            }
            finally { close(parentFd); }
            return 0;
        }
        finally { close(dirFd); }
    }

    /// <summary>Runs the tar writer on a thread of its own and the extractor here, joined by a pipe.</summary>
    private static void Pipe(Action<Stream> produce, Action<Stream> consume)
    {
        Exception? produced = null;
        using var server = new AnonymousPipeServerStream(PipeDirection.Out);
        using var client = new AnonymousPipeClientStream(PipeDirection.In, server.ClientSafePipeHandle);
        var writer = new Thread(() =>
        {
            try { produce(server); }
            catch (Exception e) { produced = e; }
            finally { server.Dispose(); } // EOF for the reader
        }) { Name = "minirun-cp-tar", IsBackground = true };
        writer.Start();
        Exception? consumed = null;
        try { consume(client); }
        catch (Exception e) { consumed = e; }
        finally { client.Dispose(); } // a writer still writing gets EPIPE and stops
        writer.Join();
        if (produced is not null && produced is not IOException) throw produced;
        if (consumed is not null) throw consumed;
        if (produced is not null) throw produced;
    }

    /// <summary>true: directory, false: something else, null: absent (lstat, not followed).</summary>
    private static bool? IsDirectory(int parentFd, string name)
    {
        Tmds.Linux.stat st;
        fixed (byte* z = OverlayLayout.Z(name))
            if (fstatat(parentFd, z, &st, AT_SYMLINK_NOFOLLOW) < 0) return null;
        return ((uint)st.st_mode & (uint)S_IFMT) == (uint)S_IFDIR;
    }

    /// <summary>"/a/b/c" -> ("/a/b", "c"); "/" -> ("/", "."); a trailing "/." names the directory itself.</summary>
    private static (string Parent, string Name) ParentAndName(string path)
    {
        string p = path;
        if (EndsWithDot(p)) p = p[..^2];
        p = p.TrimEnd('/');
        if (p.Length == 0) return ("/", ".");
        int slash = p.LastIndexOf('/');
        return slash < 0 ? ("/", p) : (slash == 0 ? "/" : p[..slash], p[(slash + 1)..]);
    }

    private static string TarName(string name) => name == "." ? "." : name;

    private static bool EndsWithDot(string path) => path == "." || path.EndsWith("/.", StringComparison.Ordinal);

    private static ContainerPathNotFoundException NotFound(string path, string container) => new(container, path);

    private static byte[] Utf8(string s) => OverlayRoot.Utf8(s);
}
