// TopCommand: `top CONTAINER [ps OPTIONS]`: the container's processes as the host sees them.
//
// Why: the same process is PID 1 inside the container and an ordinary PID on the host. Without
// options the table is read from /proc (TopProcesses) in `ps -ef`'s columns, as Docker shows it;
// `--nspid` (MiniRun's, before the container) adds NSPID after PID: the PID in the container's
// namespace. With ps options, as Docker does, the host's ps(1) runs with them, its output is cut
// into columns (the last one keeps its spaces) and only the rows whose PID column names one of
// the container's processes are kept. Both tables go through Docker's tabwriter settings for top
// (minimum width 20, padding 3).
//
// Follows: docker-top(1) (default `ps -ef`, "container ID is not running"), moby's
// daemon/top_unix.go (parsing ps's output, "Couldn't find PID field in ps output"), ps(1).
using System.Diagnostics;
using MiniRun.Cgroups;
using MiniRun.Containers;
using MiniRun.Cli.Templates;

namespace MiniRun.Cli;

public static class TopCommand
{
    private const int MinWidth = 20, Padding = 3;   // docker/cli's top: tabwriter.NewWriter(out, 20, 1, 3, ' ', 0)

    public static int Run(string root, string name, IReadOnlyList<string> psOptions, TextWriter stdout,
        string procRoot = "/proc", Func<string?>? cgroupMount = null, bool nsPid = false)
    {
        var c = new ContainerStore(root).Find(name);
        if (ContainerLiveness.Effective(c, procRoot) is not (ContainerStatus.Running or ContainerStatus.Paused))
            throw CliError.Daemon($"container {c.Id} is not running");
        string? cgroupDir = c.State.CgroupPath is { } cg && (cgroupMount ?? (() => CgroupV2Host.Detect().MountPoint))() is { } mount
            ? Path.Combine(mount, cg.TrimStart('/')) : null;
        var pids = TopProcesses.Members(c.State.Pid, cgroupDir, procRoot);
        if (psOptions.Count > 0) return HostPs(psOptions, pids, stdout);
        var now = DateTimeOffset.Now;
        var rows = pids.Select(p => TopProcesses.Row(p, now, procRoot)).OfType<TopRow>()
            .Select(r => (IReadOnlyList<string>)(nsPid
                ? [r.Uid, r.Pid.ToString(), r.NsPid, r.Ppid.ToString(), r.C, r.STime, r.Tty, r.Time, r.Cmd]
                : [r.Uid, r.Pid.ToString(), r.Ppid.ToString(), r.C, r.STime, r.Tty, r.Time, r.Cmd]));
        IReadOnlyList<string> titles = nsPid
            ? ["UID", "PID", "NSPID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
            : ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"];
        stdout.Write(Table(titles, rows));
        return 0;
    }

    /// <summary>Titles and rows through Docker's tabwriter for top.</summary>
    public static string Table(IReadOnlyList<string> titles, IEnumerable<IReadOnlyList<string>> rows)
    {
        var text = new System.Text.StringBuilder();
        text.Append(string.Join('\t', titles)).Append('\n');
        foreach (var row in rows) text.Append(string.Join('\t', row)).Append('\n');
        return TabWriter.Format(text.ToString(), MinWidth, Padding);
    }

    /// <summary>
    /// ps's output as moby cuts it: the titles are the first line's words; each row has as many
    /// columns, the last one taking the rest of the line; only rows whose PID is in <paramref name="pids"/>.
    /// </summary>
    public static (IReadOnlyList<string> Titles, List<IReadOnlyList<string>> Rows) ParsePs(string output, IReadOnlyCollection<int> pids)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0) return ([], []);
        var titles = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int column = Array.IndexOf(titles, "PID");
        if (column < 0) throw CliError.Daemon("Couldn't find PID field in ps output");
        var set = pids.ToHashSet();
        var rows = new List<IReadOnlyList<string>>();
        foreach (string line in lines.Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < titles.Length) continue;
            var row = fields[..(titles.Length - 1)].Append(string.Join(' ', fields[(titles.Length - 1)..])).ToArray();
            if (int.TryParse(row[column], out int pid) && set.Contains(pid)) rows.Add(row);
        }
        return (titles, rows);
    }

    /// <summary>Runs the host's ps with the user's options; the titles and the container's rows in Docker's table.</summary>
    private static int HostPs(IReadOnlyList<string> options, IReadOnlyCollection<int> pids, TextWriter stdout)
    {
        var psi = new ProcessStartInfo("ps") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var o in options) psi.ArgumentList.Add(o);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { throw CliError.Daemon($"top: run ps: {e.Message}"); }
        using (p)
        {
            var err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)   // moby: the first line of ps's stderr
                throw CliError.Daemon(err.Result.Split('\n')[0].Trim());
            var (titles, rows) = ParsePs(output, pids);
            if (titles.Count > 0) stdout.Write(Table(titles, rows));
        }
        return 0;
    }
}
