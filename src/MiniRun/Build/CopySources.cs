// CopySources: what a COPY or ADD copies: its sources resolved inside a source directory (the build
// context, with its .dockerignore; or the rootfs of another stage or image for --from, with
// DockerIgnore.None) into a list of entries, each with the absolute path it gets in the image.
//
// Docker's rules, applied here:
//   - a source is relative to the source directory ('/' at its start too); cleaned, it must stay
//     inside: "../x" is refused ("forbidden path outside the build context");
//   - a source with glob characters (Go's filepath.Match, plus '**' for any number of directories)
//     names every path it matches; matching nothing, or only excluded files, is "file not found";
//   - symlinks on the way to a named source are followed inside the source directory (an absolute
//     target is taken from the source directory's root, as in a rootfs); one leading outside is refused;
//     symlinks inside a copied directory are copied as symlinks, never followed;
//   - a directory source copies its contents (and its own mode onto the destination directory);
//   - the destination is a directory when it ends in '/' (or is "." or ends in "/."); more than one
//     source (after glob expansion) needs such a destination; a relative destination is taken from
//     the WORKDIR;
//   - files the .dockerignore excludes are left out (a directory excluded as a whole is skipped unless
//     an exception pattern may include something inside it).
// Digest hashes what was found (paths, kinds, modes, symlink targets, file contents; not times), so
// the builder reuses a cached COPY/ADD step exactly when the copied files are unchanged.
//
// Follows: https://docs.docker.com/reference/dockerfile/#copy and #add (source and destination
// rules); Go path/filepath.Match and path.Clean; lstat(2), readlink(2).
using System.Security.Cryptography;
using System.Text;

namespace MiniRun.Build;

public static class CopySources
{
    const int MaxSymlinks = 40; // as the kernel's path resolution (path_resolution(7))

    /// <summary>Resolves COPY sources (see the file's header for the rules). Errors name COPY.</summary>
    public static IReadOnlyList<ContextEntry> Resolve(string sourceDir, DockerIgnore ignore, IReadOnlyList<string> sources, string dest, string workdir)
        => Resolve(sourceDir, ignore, sources, dest, workdir, "COPY");

    /// <summary>Resolves COPY or ADD sources; `keyword` ("COPY", "ADD") names the instruction in errors.</summary>
    public static IReadOnlyList<ContextEntry> Resolve(string sourceDir, DockerIgnore ignore, IReadOnlyList<string> sources, string dest, string workdir, string keyword)
    {
        string root = Path.GetFullPath(sourceDir).TrimEnd('/');
        if (root.Length == 0) root = "/";
        if (sources.Count == 0) throw new BuildException($"{keyword} failed: no source files were specified");

        bool destIsDir = dest.EndsWith('/') || dest == "." || dest.EndsWith("/.", StringComparison.Ordinal);
        string destPath = dest.StartsWith('/') ? dest : (string.IsNullOrEmpty(workdir) ? "/" : workdir).TrimEnd('/') + "/" + dest;
        destPath = GoPath.Clean(destPath.StartsWith('/') ? destPath : "/" + destPath);
        if (destPath == "/") destIsDir = true;

        // 1. every source, expanded: (path relative to the root, the source as written)
        var found = new List<(string Rel, string Source)>();
        foreach (string source in sources)
        {
            if (source.StartsWith("http://", StringComparison.Ordinal) || source.StartsWith("https://", StringComparison.Ordinal))
                throw new BuildException($"{keyword} failed: source URL not implemented: {source}");
            string rel = source.StartsWith('/') ? GoPath.Clean(source)[1..] : GoPath.Clean(source);
            if (rel.Length == 0) rel = ".";
            if (rel == ".." || rel.StartsWith("../", StringComparison.Ordinal))
                throw new BuildException($"{keyword} failed: forbidden path outside the build context: {source}");
            if (Glob.HasMeta(rel))
            {
                var matches = new List<string>();
                MatchGlob(root, rel.Split('/'), 0, "", ignore, matches);
                if (matches.Count == 0) throw NotFound(keyword, source);
                foreach (string m in matches) found.Add((m, source));
            }
            else found.Add((Glob.Unescape(rel), source));
        }
        if (found.Count > 1 && !destIsDir)
            throw new BuildException($"When using {keyword} with more than one source file, the destination must be a directory and end with a /");

        // 2. each source's entries
        var entries = new List<ContextEntry>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        void Add(ContextEntry e)
        {
            if (index.TryGetValue(e.TargetPath, out int at)) entries[at] = e; // a later source replaces an earlier one
            else { index[e.TargetPath] = entries.Count; entries.Add(e); }
        }
        foreach (var (rel, source) in found)
        {
            string full = ResolveInside(root, rel, source, keyword);
            var st = FileStat.Lstat(full);
            if (st is null) throw NotFound(keyword, source);
            if (rel != "." && ignore.IsExcluded(rel) && !(st.Value.Kind == 'd' && ignore.HasExceptions))
                throw NotFound(keyword, source);
            if (st.Value.Kind == 'd')
            {
                Add(new ContextEntry(rel, destPath, full, st.Value.Mode, 'd'));
                Walk(full, rel, destPath, ignore, Add);
            }
            else if (st.Value.Kind == 'f')
            {
                string target = destIsDir ? Join(destPath, Path.GetFileName(rel == "." ? full : rel)) : destPath;
                Add(new ContextEntry(rel, target, full, st.Value.Mode, 'f') { ExtractTo = destPath });
            }
            else throw new BuildException($"{keyword} failed: {source} is not a regular file, a directory or a symlink");
        }
        return entries;
    }

    /// <summary>"sha256:..." over the entries' paths, kinds, modes, symlink targets and file contents (not times).</summary>
    public static string Digest(IReadOnlyList<ContextEntry> entries)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var e in entries)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{e.Kind} {Convert.ToString((int)e.Mode, 8)} {e.RelativePath}\0{e.TargetPath}\0{(e.ExtractTo is null ? "" : "x")}\0"));
            if (e.Kind == 'l') hash.AppendData(Encoding.UTF8.GetBytes(FileStat.ReadLink(e.FullPath) + "\0"));
            else if (e.Kind == 'f')
            {
                using var f = new FileStream(e.FullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
                hash.AppendData(SHA256.HashData(f));
                hash.AppendData(Encoding.UTF8.GetBytes($"{f.Length}\0"));
            }
        }
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// The contents of the directory `full` (relative path `rel`), copied under `target`.
    static void Walk(string full, string rel, string target, DockerIgnore ignore, Action<ContextEntry> add)
    {
        foreach (string name in FileStat.List(full))
        {
            string childFull = full.TrimEnd('/') + "/" + name;
            string childRel = rel == "." ? name : rel + "/" + name;
            string childTarget = Join(target, name);
            var st = FileStat.Lstat(childFull);
            if (st is null || st.Value.Kind == '?') continue; // gone, or a socket/fifo/device: not copied
            bool excluded = ignore.IsExcluded(childRel);
            if (st.Value.Kind == 'd')
            {
                if (excluded && !ignore.HasExceptions) continue;
                var inside = new List<ContextEntry>();
                Walk(childFull, childRel, childTarget, ignore, inside.Add);
                if (excluded && inside.Count == 0) continue; // nothing re-included below it
                add(new ContextEntry(childRel, childTarget, childFull, st.Value.Mode, 'd'));
                foreach (var e in inside) add(e);
                continue;
            }
            if (excluded) continue;
            add(new ContextEntry(childRel, childTarget, childFull, st.Value.Kind == 'l' ? (UnixFileMode)0x1ff : st.Value.Mode, st.Value.Kind));
        }
    }

    /// Paths under `root` matching the pattern components from `k` on, below `relDir`. A matched
    /// directory is not searched further (its contents are copied with it).
    static void MatchGlob(string root, string[] parts, int k, string relDir, DockerIgnore ignore, List<string> matches)
    {
        string dirFull = relDir.Length == 0 ? root : root + "/" + relDir;
        if (parts[k] == "**")
        {
            if (k + 1 == parts.Length) { matches.Add(relDir.Length == 0 ? "." : relDir); return; }
            MatchGlob(root, parts, k + 1, relDir, ignore, matches); // zero directories
            foreach (string name in FileStat.List(dirFull))
            {
                string rel = relDir.Length == 0 ? name : relDir + "/" + name;
                if (FileStat.Lstat(dirFull + "/" + name) is { Kind: 'd' } && !ignore.IsExcluded(rel))
                    MatchGlob(root, parts, k, rel, ignore, matches);
            }
            return;
        }
        if (!Glob.HasMeta(parts[k]))
        {
            string rel = relDir.Length == 0 ? Glob.Unescape(parts[k]) : relDir + "/" + Glob.Unescape(parts[k]);
            Step(rel);
            return;
        }
        foreach (string name in FileStat.List(dirFull))
            if (Glob.Match(parts[k], name)) Step(relDir.Length == 0 ? name : relDir + "/" + name);

        void Step(string rel)
        {
            var st = FileStat.Lstat(root + "/" + rel);
            if (st is null) return;
            if (k + 1 == parts.Length)
            {
                if (!ignore.IsExcluded(rel) && !matches.Contains(rel)) matches.Add(rel);
            }
            else if (st.Value.Kind == 'd') MatchGlob(root, parts, k + 1, rel, ignore, matches);
        }
    }

    /// The host path of `rel` under `root`, following symlinks on the way inside `root` only.
    internal static string ResolveInside(string root, string rel, string source, string keyword, bool clamp = false)
    {
        var done = new List<string>();
        var todo = new Stack<string>(rel == "." ? [] : rel.Split('/').Reverse());
        int links = 0;
        while (todo.Count > 0)
        {
            string part = todo.Pop();
            if (part is "" or ".") continue;
            if (part == "..")
            {
                if (done.Count == 0)
                {
                    if (clamp) continue; // in a rootfs, as in chroot: ".." of the root is the root
                    throw new BuildException($"{keyword} failed: forbidden path outside the build context: {source}");
                }
                done.RemoveAt(done.Count - 1);
                continue;
            }
            string full = Prefix(root, done) + "/" + part;
            var st = FileStat.Lstat(full);
            if (st is { Kind: 'l' })
            {
                if (++links > MaxSymlinks) throw new BuildException($"{keyword} failed: too many levels of symbolic links: {source}");
                string target = FileStat.ReadLink(full);
                if (target.StartsWith('/')) done.Clear(); // an absolute target starts at the source directory's root
                foreach (string t in target.Split('/').Reverse()) todo.Push(t);
                continue;
            }
            done.Add(part);
        }
        return done.Count == 0 ? root : Prefix(root, done);
    }

    static string Prefix(string root, List<string> parts) => parts.Count == 0 ? root.TrimEnd('/') : root.TrimEnd('/') + "/" + string.Join('/', parts);

    static string Join(string dir, string name) => dir == "/" ? "/" + name : dir + "/" + name;

    static BuildException NotFound(string keyword, string source) =>
        new($"{keyword} failed: file not found in build context or excluded by .dockerignore: stat {source}: file does not exist");
}
