// FileText: read a small text file that may well be absent (a /proc/PID entry of a process that
// ended, a name that is free, an optional /etc file) without an exception in the absent case.
//
// Why: in a NativeAOT binary a thrown exception costs ~0.1 ms (stack walk, message); `run` asked
// "is this name taken?" and "does /run/systemd/resolve/resolv.conf exist?" through exceptions on
// every container start, and the supervisor asked whether the exited PID 1 was still there the
// same way. A stat(2) first answers the common case; the exception stays for the rare race where
// the file vanishes between the two calls.
//
// Follows: stat(2), open(2) ENOENT.
namespace MiniRun.Kernel;

public static class FileText
{
    /// <summary>The file's text, or null when it does not exist (or vanished while being read).</summary>
    public static string? ReadIfExists(string path)
    {
        if (!File.Exists(path)) return null;
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
    }

    /// <summary>The file's bytes, or null when it does not exist (or vanished while being read).</summary>
    public static byte[]? ReadBytesIfExists(string path)
    {
        if (!File.Exists(path)) return null;
        try { return File.ReadAllBytes(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
    }
}
