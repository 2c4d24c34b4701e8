// FileStat: lstat(2), readlink(2) and a sorted directory listing for the build's file walks, never
// following a final symlink (a context's symlink must be seen as a symlink, not as what it points to).
// Follows: lstat(2), readlink(2).
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace MiniRun.Build;

static unsafe class FileStat
{
    /// <summary>Kind 'f' file, 'd' directory, 'l' symlink, '?' anything else; the permission bits (07777); mtime; size; owner.</summary>
    public readonly record struct Info(char Kind, UnixFileMode Mode, long MtimeSec, long Size, int Uid, int Gid);

    /// <summary>lstat of `path`; null when it does not exist (ENOENT, ENOTDIR).</summary>
    public static Info? Lstat(string path)
    {
        stat st;
        fixed (byte* p = Zero(path))
        {
            if (lstat(p, &st) < 0)
            {
                int err = errno;
                if (err == ENOENT || err == ENOTDIR) return null;
                throw new BuildException($"lstat {path}: {Describe(err)}");
            }
        }
        uint type = (uint)st.st_mode & (uint)S_IFMT;
        char kind = type == (uint)S_IFREG ? 'f' : type == (uint)S_IFDIR ? 'd' : type == (uint)S_IFLNK ? 'l' : '?';
        return new Info(kind, (UnixFileMode)((uint)st.st_mode & 0xfff), (long)st.st_mtim.tv_sec, (long)st.st_size, (int)(uint)st.st_uid, (int)(uint)st.st_gid);
    }

    public static string ReadLink(string path)
    {
        var buf = new byte[4096];
        fixed (byte* p = Zero(path))
        fixed (byte* b = buf)
        {
            long n = readlink(p, b, (size_t)(ulong)buf.Length);
            if (n < 0) throw new BuildException($"readlink {path}: {Describe(errno)}");
            return Encoding.UTF8.GetString(buf, 0, (int)n);
        }
    }

    /// <summary>The names in a directory, in ordinal order (the same tree gives the same entries and layer).</summary>
    public static List<string> List(string dir)
    {
        var names = new List<string>();
        try
        {
            foreach (string p in Directory.EnumerateFileSystemEntries(dir))
                names.Add(Path.GetFileName(p));
        }
        catch (DirectoryNotFoundException) { }
        catch (IOException e) { throw new BuildException($"list directory {dir}: {e.Message}"); }
        catch (UnauthorizedAccessException e) { throw new BuildException($"list directory {dir}: {e.Message}"); }
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    static byte[] Zero(string s) => [.. Encoding.UTF8.GetBytes(s), 0];

    static string Describe(int err) => MiniRun.Kernel.Errno.Describe(err);
}
