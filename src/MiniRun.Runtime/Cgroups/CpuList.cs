// CpuList: the kernel's list syntax for sets of CPUs and memory nodes ("0-2,4", "1", "0-3,8-11").
//
// Why: --cpuset-cpus and --cpuset-mems take this syntax, cpuset.cpus and cpuset.mems are written
// in it, and the host's own sets (/sys/devices/system/cpu/online, cpuset.cpus.effective) are read
// in it. Parsing it to a set lets MiniRun check a request against the host before creating anything.
//
// Follows: cpuset(7) "FORMATS" (List format) and Documentation/admin-guide/cgroup-v2.rst (cpuset.cpus).
using System.Globalization;

namespace MiniRun.Cgroups;

public static class CpuList
{
    /// <summary>The numbers in a list such as "0-2,4"; false when it is not valid list syntax.</summary>
    public static bool TryParse(string text, out SortedSet<int> set)
    {
        set = new SortedSet<int>();
        var s = text.Trim();
        if (s.Length == 0) return false;
        foreach (var part in s.Split(','))
        {
            var dash = part.IndexOf('-');
            if (dash < 0)
            {
                if (!TryNumber(part, out var n)) return false;
                set.Add(n);
                continue;
            }
            if (!TryNumber(part[..dash], out var lo) || !TryNumber(part[(dash + 1)..], out var hi) || hi < lo)
                return false;
            if (hi - lo > 65536) return false;
            for (int i = lo; i <= hi; i++) set.Add(i);
        }
        return true;
    }

    /// <summary>The canonical list text of a set: ranges joined by commas ("0-2,4").</summary>
    public static string Format(IEnumerable<int> numbers)
    {
        var sorted = numbers.Distinct().Order().ToList();
        var parts = new List<string>();
        for (int i = 0; i < sorted.Count;)
        {
            int j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            parts.Add(i == j ? $"{sorted[i]}" : $"{sorted[i]}-{sorted[j]}");
            i = j + 1;
        }
        return string.Join(',', parts);
    }

    private static bool TryNumber(string s, out int n) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out n) && s.Length > 0;
}
