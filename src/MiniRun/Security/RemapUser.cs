// RemapUser: the host user whose subordinate ranges remapped containers use: "minirun" (created,
// with its ranges, the first time `--userns=remap` needs it) or a user named in daemon.json.
//
// Why a user at all: the ranges in /etc/subuid and /etc/subgid are recorded per user, so other
// tools (useradd giving ranges to new users, podman, lxc) see MiniRun's range as taken. Docker
// does the same with "dockremap". The user is a system user without a home or a login shell;
// nothing runs as it (the container runs as the ids of its RANGE, not as the user's own uid).
// How the files are changed: by shadow's own tools, `useradd --system` and `usermod
// --add-subuids/--add-subgids`, not by writing the files here: they take the locks every shadow
// tool takes (/etc/passwd.lock, /etc/subuid.lock) and write atomically, so an admin's concurrent
// useradd cannot be lost or interleaved. Two MiniRun commands racing to make the range are
// serialised by our own flock on /run/minirun-userns.lock (held from "look" to "made"), so the
// second sees the first's range and does not add another.
// Docker picks the range the same way (the lowest free 65536 ids from 100000, SubordinateIds.cs);
// it runs adduser/useradd and usermod -v/-w likewise.
//
// Follows: useradd(8) (--system, --no-create-home, --shell, --user-group), usermod(8)
// (--add-subuids, --add-subgids), subuid(5), subgid(5), passwd(5), flock(2).
using System.Diagnostics;
using System.Globalization;
using MiniRun.Containers;

namespace MiniRun.Security;

/// <summary>The user and its first uid and gid ranges.</summary>
public sealed record RemapIdentity(string User, IdRange Uids, IdRange Gids);

public static class RemapUser
{
    public const string DefaultUser = "minirun";
    public const string LockPath = "/run/minirun-userns.lock";

    /// <summary>
    /// "default": user minirun, created with ranges when absent; any other name: that user, which
    /// must exist and own a range in both files. <paramref name="etc"/> is /etc (tests: a copy).
    /// </summary>
    public static RemapIdentity Ensure(string setting, string etc = "/etc")
    {
        bool create = setting is "" or "default";
        string user = create ? DefaultUser : setting;
        using var held = FileLock.Exclusive(LockPath);
        long? uid = UidOf(user, Path.Combine(etc, "passwd"));
        if (uid is null)
        {
            if (!create) throw new ContainerException($"userns-remap: user {GoQuote.Quote(user)} does not exist (use \"default\" to let MiniRun create {GoQuote.Quote(DefaultUser)})");
            string shell = File.Exists("/usr/sbin/nologin") ? "/usr/sbin/nologin" : "/bin/false";
            RunTool("useradd", "--system", "--no-create-home", "--shell", shell, "--user-group", user);
            uid = UidOf(user, Path.Combine(etc, "passwd")) ?? throw new ContainerException($"userns-remap: useradd made no user {GoQuote.Quote(user)}");
        }
        var (uids, gids) = Ranges(user, uid, etc);
        if (uids is null || gids is null)
        {
            if (!create)
                throw new ContainerException($"userns-remap: user {GoQuote.Quote(user)} has no range in {etc}/subuid or {etc}/subgid " +
                    $"(e.g. usermod --add-subuids 100000-165535 --add-subgids 100000-165535 {user})");
            var taken = SubordinateIds.Parse(ReadOrEmpty(Path.Combine(etc, "subuid"))).Concat(SubordinateIds.Parse(ReadOrEmpty(Path.Combine(etc, "subgid"))));
            long start = SubordinateIds.NextFree(taken);
            string span = $"{start}-{start + SubordinateIds.DefaultCount - 1}";
            var args = new List<string>();
            if (uids is null) args.AddRange(["--add-subuids", span]);
            if (gids is null) args.AddRange(["--add-subgids", span]);
            args.Add(user);
            RunTool("usermod", [.. args]);
            (uids, gids) = Ranges(user, uid, etc);
            if (uids is null || gids is null) throw new ContainerException($"userns-remap: usermod added no range for {GoQuote.Quote(user)}");
        }
        return new RemapIdentity(user, uids, gids);
    }

    private static (IdRange? Uids, IdRange? Gids) Ranges(string user, long? uid, string etc) =>
        (SubordinateIds.RangeOf(SubordinateIds.Parse(ReadOrEmpty(Path.Combine(etc, "subuid"))), user, uid),
         SubordinateIds.RangeOf(SubordinateIds.Parse(ReadOrEmpty(Path.Combine(etc, "subgid"))), user, uid));

    /// <summary>The uid of <paramref name="user"/> in a passwd(5) file, or null.</summary>
    public static long? UidOf(string user, string passwdFile)
    {
        foreach (string line in ReadOrEmpty(passwdFile).Split('\n'))
        {
            var f = line.Split(':');
            if (f.Length >= 3 && f[0] == user && long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out long uid)) return uid;
        }
        return null;
    }

    private static string ReadOrEmpty(string path)
    {
        try { return File.ReadAllText(path); }
        catch (FileNotFoundException) { return ""; }
    }

    private static void RunTool(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ContainerException($"userns-remap: cannot run {tool}: {e.Message} (Debian/Ubuntu: package passwd)");
        }
        using (p)
        {
            string err = p.StandardError.ReadToEnd();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
                throw new ContainerException($"userns-remap: {tool} {string.Join(' ', args)} exited with {p.ExitCode}: {err.Trim().ReplaceLineEndings(" ")}");
        }
    }
}
