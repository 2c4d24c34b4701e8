// TopProcesses: the processes of one container and the columns of `ps -ef` for each, read from
// /proc (host PIDs, plus each one's PID inside the container from the NSpid line).
//
// Why: `top` shows that a container's processes are ordinary host processes: the same process
// has PID 1 inside and some large PID outside. A process belongs to the container when its
// /proc/PID/ns/pid is the same namespace as the container's PID 1 (so `exec`'d processes count),
// or when it is in the container's cgroup (or a cgroup below it). The proc root, the cgroup
// directory and the passwd file are parameters so tests can use fakes.
//
// Follows: proc(5) (/proc/PID/stat fields 4 ppid, 7 tty_nr, 14 utime, 15 stime, 22 starttime;
// /proc/PID/status Uid and NSpid; /proc/stat btime; /proc/uptime), ps(1) for the -ef columns
// (UID PID PPID C STIME TTY TIME CMD), devices.txt for tty majors (4 tty/ttyS, 136-143 pts).
using System.Globalization;

namespace MiniRun.Cli;

public sealed record TopRow(string Uid, int Pid, string NsPid, int Ppid, string C, string STime, string Tty, string Time, string Cmd);

public static class TopProcesses
{
    private const double Hz = 100;   // sysconf(_SC_CLK_TCK) on Linux

    /// <summary>PIDs in the PID namespace of <paramref name="pid1"/> or under <paramref name="cgroupDir"/>, ascending.</summary>
    public static List<int> Members(int pid1, string? cgroupDir, string procRoot = "/proc")
    {
        var pids = new SortedSet<int>();
        string? ns = InspectNamespaces.Link(Path.Combine(procRoot, pid1.ToString(), "ns", "pid"));
        if (ns is not null)
        {
            foreach (var dir in Directory.EnumerateDirectories(procRoot))
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
                if (InspectNamespaces.Link(Path.Combine(dir, "ns", "pid")) == ns) pids.Add(pid);
            }
        }
        if (cgroupDir is not null && Directory.Exists(cgroupDir))
        {
            var files = Directory.EnumerateFiles(cgroupDir, "cgroup.procs", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true });
            foreach (string file in files)
            {
                try
                {
                    foreach (string line in File.ReadAllLines(file))
                        if (int.TryParse(line.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) pids.Add(pid);
                }
                catch (IOException) { }
            }
        }
        return pids.ToList();
    }

    /// <summary>The row of one process, or null when it has gone meanwhile.</summary>
    public static TopRow? Row(int pid, DateTimeOffset now, string procRoot = "/proc", string passwd = "/etc/passwd")
    {
        try
        {
            string dir = Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture));
            string stat = File.ReadAllText(Path.Combine(dir, "stat"));
            int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
            string comm = stat[(open + 1)..close];
            var f = stat[(close + 2)..].Split(' ');   // f[0] is field 3
            long Field(int n) => long.Parse(f[n - 3], CultureInfo.InvariantCulture);
            int ppid = (int)Field(4);
            long ttyNr = Field(7);
            double cpuTicks = Field(14) + Field(15);
            double startTicks = Field(22);

            string uid = "?", nspid = pid.ToString(CultureInfo.InvariantCulture);
            foreach (string line in File.ReadLines(Path.Combine(dir, "status")))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal)) uid = line[4..].Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
                else if (line.StartsWith("NSpid:", StringComparison.Ordinal)) nspid = line[6..].Split('\t', StringSplitOptions.RemoveEmptyEntries)[^1];
            }

            double uptime = double.Parse(File.ReadAllText(Path.Combine(procRoot, "uptime")).Split(' ')[0], CultureInfo.InvariantCulture);
            long btime = File.ReadLines(Path.Combine(procRoot, "stat")).Where(l => l.StartsWith("btime ", StringComparison.Ordinal))
                .Select(l => long.Parse(l[6..].Trim(), CultureInfo.InvariantCulture)).FirstOrDefault();
            double elapsed = uptime - startTicks / Hz;
            int c = elapsed > 0 ? (int)(cpuTicks / Hz / elapsed * 100) : 0;
            var started = DateTimeOffset.FromUnixTimeMilliseconds((long)((btime + startTicks / Hz) * 1000));

            string cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
            string cmd = cmdline.Length == 0 ? $"[{comm}]" : string.Join(' ', cmdline.TrimEnd('\0').Split('\0'));
            return new TopRow(UserName(uid, passwd), pid, nspid, ppid, c.ToString(CultureInfo.InvariantCulture),
                STime(started, now), Tty(ttyNr), CpuTime(cpuTicks / Hz), cmd);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>ps's STIME: "HH:MM" within a day, "MmmDD" within the year, else the year (local time).</summary>
    public static string STime(DateTimeOffset started, DateTimeOffset now)
    {
        var local = started.ToLocalTime();
        if (now - started < TimeSpan.FromDays(1)) return local.ToString("HH:mm", CultureInfo.InvariantCulture);
        if (local.Year == now.ToLocalTime().Year) return local.ToString("MMMdd", CultureInfo.InvariantCulture);
        return local.Year.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>ps's TIME: cumulative CPU time as [DD-]HH:MM:SS.</summary>
    public static string CpuTime(double seconds)
    {
        long s = (long)seconds;
        string hms = $"{s / 3600 % 24:00}:{s / 60 % 60:00}:{s % 60:00}";
        return s >= 86400 ? $"{s / 86400}-{hms}" : hms;
    }

    /// <summary>The controlling terminal from stat's tty_nr: "?", "pts/N", "ttyN" or "ttySN".</summary>
    public static string Tty(long ttyNr)
    {
        if (ttyNr == 0) return "?";
        long major = (ttyNr >> 8) & 0xfff, minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
        if (major is >= 136 and <= 143) return $"pts/{(major - 136) * 256 + minor}";
        if (major == 4) return minor < 64 ? $"tty{minor}" : $"ttyS{minor - 64}";
        return "?";
    }

    /// <summary>The host's user name for a uid (as ps shows it), or the number.</summary>
    public static string UserName(string uid, string passwd)
    {
        try
        {
            foreach (string line in File.ReadLines(passwd))
            {
                var parts = line.Split(':');
                if (parts.Length > 2 && parts[2] == uid) return parts[0];
            }
        }
        catch (IOException) { }
        return uid;
    }
}
