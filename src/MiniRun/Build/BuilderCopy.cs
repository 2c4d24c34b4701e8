// BuilderCopy: COPY and ADD - files from the build context (or, with --from, from an earlier
// stage's or any stored image's root filesystem) written straight into a new layer, no container.
//
// Why no container: the files only need to become a tar layer; CopySources resolves the sources
// (globs, .dockerignore, symlinks kept inside the source directory) and CopyLayer writes them
// (--chown owners, --chmod modes, ADD's local archives unpacked). The step's cache key is the
// parent image, the instruction after expansion, the source image of --from and the digest of
// every file copied (CopySources.Digest), so editing a copied file misses the cache.
// --from=IMAGE: the image's layers are mounted read-only with overlayfs on a directory under
// ROOT/build, in a mount namespace of one thread only (Containers/OverlayRoot.cs), never on the
// host; the mount ends with that thread and the directory is removed afterwards.
// --chown=user:group: names are looked up in the destination image's /etc/passwd and /etc/group
// (Spec/UserResolver.cs, as `run -u`); a user alone means the group of the same name or number.
// Follows: Dockerfile reference "COPY", "ADD" (--from, --chown, --chmod, archives); overlayfs.rst.
using MiniImage.Store;
using MiniRun.Containers;
using MiniRun.Spec;

namespace MiniRun.Build;

public sealed partial class Builder
{
    private void Copy(StageState state, Instruction ins, List<StageState> earlier)
    {
        string keyword = ins.Keyword;
        string? from = null, chown = null, chmod = null;
        foreach (var (flag, value) in ins.Flags)
        {
            switch (flag)
            {
                case "from" when keyword == "COPY": from = value; break;
                case "chown": chown = Expand(value, state.Lookup); break;
                case "chmod": chmod = Expand(value, state.Lookup); break;
                case "link": break;   // layers here never depend on the one below anyway
                default: throw new BuildException($"{keyword} --{flag} is not implemented");
            }
        }
        var words = Words(ins, state);
        if (words.Count < 2) throw new BuildException($"{keyword} requires at least two arguments, but only {words.Count} provided");
        var sources = words.Take(words.Count - 1).ToList();
        string dest = words[^1];
        if (keyword == "ADD" && sources.Any(s => s.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || s.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
            throw new BuildException("ADD from a URL is not implemented");

        UnixFileMode? mode = null;
        if (chmod is not null)
        {
            try { mode = (UnixFileMode)Convert.ToInt32(chmod, 8); }
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException) { mode = null; }
            if (mode is null || (int)mode > 0xfff) throw new BuildException($"invalid chmod parameter: {chmod}");   // 07777
        }
        var (uid, gid) = chown is null ? ((int?)null, (int?)null) : Owner(state, chown);

        string workdir = state.Config.WorkingDir is { Length: > 0 } w ? w : "/";
        if (from is null)
        {
            CopyFrom(state, ins, _context, _ignore, sources, dest, workdir, "", uid, gid, mode);
            return;
        }
        string sourceImage = FromImage(from, earlier);
        var image = sourceImage == "" ? null
            : _images.Resolve(sourceImage) ?? throw new BuildException($"invalid from flag value {from}: No such image: {sourceImage}");
        var lowers = image is null ? [] : _images.ShortLinks(_images.PrepareLayers(image)).Reverse().ToList();
        if (lowers.Count == 0)   // an empty image (FROM scratch with no layer yet): nothing to mount
        {
            string empty = Directory.CreateTempSubdirectory("minirun-build-scratch-").FullName;
            try { CopyFrom(state, ins, empty, DockerIgnore.None, sources, dest, workdir, "scratch", uid, gid, mode); }
            finally { Directory.Delete(empty, recursive: true); }
            return;
        }
        string scratch = Path.Combine(_root, "build", Naming.NewId()[..16]);
        Directory.CreateDirectory(scratch);
        try
        {
            var layout = new OverlayLayout(lowers, Path.Combine(scratch, "upper"), Path.Combine(scratch, "work"), Path.Combine(scratch, "rootfs"));
            Directory.CreateDirectory(layout.UpperDir);
            OverlayRoot.WithPrivateMount(layout, $"COPY --from={from}", _ =>
            {
                CopyFrom(state, ins, layout.RootfsDir, DockerIgnore.None, sources, dest, workdir, image!.ImageId, uid, gid, mode);
                return 0;
            });
        }
        catch (ContainerException e) { throw new BuildException(e.Message); }
        finally { StoreDelete(scratch); }
    }

    /// <summary>Resolve the sources in <paramref name="sourceDir"/>, probe the cache, write the layer.</summary>
    private void CopyFrom(StageState state, Instruction ins, string sourceDir, DockerIgnore ignore, List<string> sources, string dest,
        string workdir, string fromImage, int? uid, int? gid, UnixFileMode? mode)
    {
        var entries = CopySources.Resolve(sourceDir, ignore, sources, dest, workdir);
        string digest = CopySources.Digest(entries);
        bool single = entries.Count == 1 && entries[0].Kind == 'f';
        string hex = digest.StartsWith("sha256:", StringComparison.Ordinal) ? digest[7..] : digest;
        string target = dest.StartsWith('/') ? dest : workdir.TrimEnd('/') + "/" + dest;
        string createdBy = NopCreatedBy(state, $"{ins.Keyword} {(single ? "file" : "dir")}:{hex} in {target} ");
        bool extract = ins.Keyword == "ADD";
        string key = BuildCache.Key(state.ImageId ?? "scratch", createdBy, digest, fromImage, uid?.ToString(), gid?.ToString(),
            mode is null ? null : Convert.ToString((int)mode, 8), extract ? "extract" : "");
        Step(state, key, () => Commit(state, createdBy, tar => CopyLayer.Write(tar, entries, uid, gid, mode, extract)));
    }

    /// <summary>--from: an earlier stage (by name or index) -> its image ("" for an empty scratch stage), else a stored image.</summary>
    private string FromImage(string from, List<StageState> earlier)
    {
        var stage = earlier.FirstOrDefault(s => s.Stage.Name is { } n && string.Equals(n, from, StringComparison.OrdinalIgnoreCase));
        if (stage is null && int.TryParse(from, out int index))
        {
            if (index < 0 || index >= earlier.Count)
                throw new BuildException($"invalid from flag value {from}: stage index {index} is not an earlier stage");
            stage = earlier[index];
        }
        if (stage is not null) return stage.ImageId ?? "";
        // Another image: the store's only. (Docker would pull it; a build here never contacts a
        // registry for --from, so a misspelt stage name cannot send a request anywhere.)
        return _images.Resolve(from)?.ImageId
            ?? throw new BuildException($"invalid from flag value {from}: no build stage and no image in the store named {GoQuote.Quote(from)}");
    }

    /// <summary>--chown's owner: numbers as given; names from the destination image's /etc/passwd and /etc/group.</summary>
    private (int?, int?) Owner(StageState state, string chown)
    {
        string spec = chown.Contains(':') ? chown : $"{chown}:{chown}";
        string[] parts = spec.Split(':', 2);
        if (uint.TryParse(parts[0], out uint u) && uint.TryParse(parts[1], out uint g)) return ((int)u, (int)g);
        var layers = state.ImageId is null ? [] : LayerDirsTopFirst(state.ImageId);
        string? passwd = ReadFromLayers(layers, "etc/passwd");
        string? group = ReadFromLayers(layers, "etc/group");
        try
        {
            // UserResolver answers a user alone with its primary group; Docker's COPY takes the
            // group of the same name, so the group is always given here.
            var resolved = UserResolver.Resolve(spec, passwd, group);
            return ((int)resolved.Uid, (int)resolved.Gid);
        }
        catch (RunConfigException e)
        {
            throw new BuildException($"unable to convert uid/gid chown string to host mapping: {e.Message}");
        }
    }

    private static void StoreDelete(string dir)
    {
        try { MiniImage.Layers.TreeRemover.DeletePath(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }   // a later build's directory is separate; nothing reads it
    }
}
