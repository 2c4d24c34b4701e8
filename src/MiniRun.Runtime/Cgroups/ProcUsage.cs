// ProcUsage: the host-wide figures `stats` needs besides the container's cgroup files: the
// system's total CPU time (/proc/stat), the host's memory (/proc/meminfo MemTotal) and a
// process's network counters (/proc/PID/net/dev, which shows the network namespace of PID).
//
// Why: Docker's CPU % compares the container's CPU time with the whole system's over the same
// interval (both read together), a memory limit of "max" is shown as the host's memory, and
// NET I/O is read from inside the container's network namespace. Each parser takes the file's
// text so tests feed it any content.
//
// Follows: proc(5): /proc/stat ("cpu" line: user nice system idle iowait irq softirq steal ...,
// in USER_HZ = 100 ticks per second), /proc/meminfo ("MemTotal: N kB"), /proc/PID/net/dev
// (two header lines, then "iface: rx_bytes rx_packets errs drop fifo frame compressed multicast
// tx_bytes ..."). Docker's getSystemCPUUsage sums the first seven "cpu" fields.
using System.Globalization;

namespace MiniRun.Cgroups;

public static class ProcUsage
{
    /// <summary>USER_HZ: the unit of /proc/stat on every Linux architecture MiniRun runs on.</summary>
    public const long ClockTicksPerSecond = 100;

    /// <summary>Total CPU time of all CPUs in nanoseconds: user+nice+system+idle+iowait+irq+softirq of the "cpu" line.</summary>
    public static long? SystemCpuNanoseconds(string procStatText)
    {
        foreach (var line in procStatText.Split('\n'))
        {
            if (!line.StartsWith("cpu ", StringComparison.Ordinal)) continue;
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 8) return null;
            long ticks = 0;
            for (int i = 1; i <= 7; i++)
            {
                if (!long.TryParse(f[i], NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return null;
                ticks += v;
            }
            return ticks * (1_000_000_000 / ClockTicksPerSecond);
        }
        return null;
    }

    /// <summary>MemTotal in bytes.</summary>
    public static long? MemTotalBytes(string meminfoText)
    {
        foreach (var line in meminfoText.Split('\n'))
        {
            if (!line.StartsWith("MemTotal:", StringComparison.Ordinal)) continue;
            var f = line[9..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 1 && long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var kb))
                return f.Length >= 2 && f[1] == "kB" ? kb * 1024 : kb;
        }
        return null;
    }

    /// <summary>Received and transmitted bytes summed over every interface but lo.</summary>
    public static (long Rx, long Tx)? NetDevTotals(string netDevText)
    {
        long rx = 0, tx = 0;
        bool any = false;
        foreach (var line in netDevText.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon < 0) continue;
            var name = line[..colon].Trim();
            if (name.Length == 0 || name.Contains(' ') || name.Contains('|')) continue;   // header lines
            var f = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 9) continue;
            any = true;
            if (name == "lo") continue;
            if (long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var r)) rx += r;
            if (long.TryParse(f[8], NumberStyles.None, CultureInfo.InvariantCulture, out var t)) tx += t;
        }
        return any ? (rx, tx) : null;
    }

    /// <summary>The number of online CPUs (/sys/devices/system/cpu/online), Docker's online_cpus.</summary>
    public static int OnlineCpus(string onlineList) =>
        CpuList.TryParse(onlineList, out var set) && set.Count > 0 ? set.Count : Environment.ProcessorCount;

    /// <summary>The text of a file, or null when it cannot be read (process gone, file absent).</summary>
    public static string? TryRead(string path)
    {
        try { return MiniRun.Kernel.FileText.ReadIfExists(path); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
