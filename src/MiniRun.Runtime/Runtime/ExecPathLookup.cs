// ExecPathLookup: find the program `exec` runs, inside the container, as the user it runs as.
//
// Why: `minirun exec web ls` must run the container's ls (found in the container's PATH, in its
// root), never the host's; and the answer must match what execve will do there: Docker's exit
// status 127 when nothing is found, 126 when a file is found but is not executable for the user.
// Stat comes from a function (ExecRootFs.Stat in production) so the rules are unit-testable.
//
// Follows: execvp(3) (the PATH search: empty entry = current directory; EACCES remembered, ENOENT
// goes on), path_resolution(7) "Permission checking" (root may execute a file when any x bit is set).
namespace MiniRun.Runtime;

public static class ExecPathLookup
{
    private const uint S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFDIR = 0x4000;

    /// <summary>
    /// The path to pass to execve for <paramref name="name"/>. Throws <see cref="ExecFailure"/>
    /// (127 not found, 126 not executable) with Docker's message.
    /// </summary>
    public static string Find(string name, string? pathVariable, string cwd,
        Func<string, (uint Mode, uint Uid, uint Gid)?> stat, uint uid, uint gid, IReadOnlyList<uint> groups)
    {
        if (name.Length == 0) throw new ExecFailure(127, "exec: \"\": executable file not found in $PATH");
        if (name.Contains('/'))
        {
            var st = stat(Absolute(name, cwd));
            if (st is null)
                throw new ExecFailure(127, $"exec: {GoQuote.Quote(name)}: stat {name}: no such file or directory");
            if (!CanExecute(st.Value, uid, gid, groups))
                throw new ExecFailure(126, $"exec: {GoQuote.Quote(name)}: permission denied");
            return name;
        }
        bool denied = false;
        foreach (string dir in (pathVariable ?? "").Split(':'))
        {
            string candidate = (dir.Length == 0 ? "." : dir).TrimEnd('/') + "/" + name;
            var st = stat(Absolute(candidate, cwd));
            if (st is null || (st.Value.Mode & S_IFMT) == S_IFDIR) continue;
            if (CanExecute(st.Value, uid, gid, groups)) return candidate;
            denied = true;
        }
        throw denied
            ? new ExecFailure(126, $"exec: {GoQuote.Quote(name)}: permission denied")
            : new ExecFailure(127, $"exec: {GoQuote.Quote(name)}: executable file not found in $PATH");
    }

    /// <summary>The kernel's execute check for a regular file (root: any x bit; else owner, group, other).</summary>
    public static bool CanExecute((uint Mode, uint Uid, uint Gid) st, uint uid, uint gid, IReadOnlyList<uint> groups)
    {
        if ((st.Mode & S_IFMT) != S_IFREG) return false;
        if (uid == 0) return (st.Mode & 0b001_001_001) != 0;
        if (st.Uid == uid) return (st.Mode & 0b001_000_000) != 0;
        if (st.Gid == gid || groups.Contains(st.Gid)) return (st.Mode & 0b000_001_000) != 0;
        return (st.Mode & 0b000_000_001) != 0;
    }

    private static string Absolute(string path, string cwd) =>
        path.StartsWith('/') ? path : cwd.TrimEnd('/') + "/" + path;
}
