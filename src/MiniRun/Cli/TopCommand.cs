// TopCommand: `top CONTAINER [ps OPTIONS]`: the container's processes as the host sees them.
//
// Why: the same process is PID 1 inside the container and an ordinary PID on the host; the
// table shows both (PID and, after it, NSPID: the PID in the container's namespace). Without
// options the table is read from /proc (TopProcesses) in `ps -ef`'s columns; with ps options,
// as Docker does, the host's ps(1) runs with them and only the rows whose PID column names one
// of the container's processes are kept.
//
// Follows: docker-top(1) (default `ps -ef`, "container ID is not running"), ps(1).
using System.Diagnostics;
using MiniRun.Cgroups;
using MiniRun.Containers;

namespace MiniRun.Cli;

public static class TopCommand
{
    public static int Run(string root, string name, IReadOnlyList<string> psOptions, TextWriter stdout,
        string procRoot = "/proc", Func<string?>? cgroupMount = null)
    {
        ContainerRecord c;
        try { c = new ContainerStore(root).Find(name); }
        catch (ContainerNotFoundException e) { throw new CliError("Error response from daemon: " + e.Message, 1); }
        if (ContainerLiveness.Effective(c, procRoot) is not (ContainerStatus.Running or ContainerStatus.Paused))
            throw new CliError($"Error response from daemon: container {c.Id} is not running", 1);
        string? cgroupDir = c.State.CgroupPath is { } cg && (cgroupMount ?? (() => CgroupV2Host.Detect().MountPoint))() is { } mount
            ? Path.Combine(mount, cg.TrimStart('/')) : null;
        var pids = TopProcesses.Members(c.State.Pid, cgroupDir, procRoot);
        if (psOptions.Count > 0) return HostPs(psOptions, pids, stdout);
        var now = DateTimeOffset.Now;
        var rows = pids.Select(p => TopProcesses.Row(p, now, procRoot)).OfType<TopRow>()
            .Select(r => (IReadOnlyList<string>)[r.Uid, r.Pid.ToString(), r.NsPid, r.Ppid.ToString(), r.C, r.STime, r.Tty, r.Time, r.Cmd]);
        stdout.Write(HumanFormat.Table(["UID", "PID", "NSPID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], rows));
        return 0;
    }

    /// <summary>Runs the host's ps with the user's options; keeps the header and the container's rows.</summary>
    private static int HostPs(IReadOnlyList<string> options, IReadOnlyCollection<int> pids, TextWriter stdout)
    {
        var psi = new ProcessStartInfo("ps") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var o in options) psi.ArgumentList.Add(o);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new CliError($"Error response from daemon: top: run ps: {e.Message}", 1); }
        using (p)
        {
            var err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
                throw new CliError($"Error response from daemon: ps: {err.Result.Trim()}", 1);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (lines.Length == 0) return 0;
            int column = Array.IndexOf(lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries), "PID");
            if (column < 0)
                throw new CliError("Error response from daemon: Couldn't find PID field in ps output", 1);
            stdout.WriteLine(lines[0]);
            var set = pids.ToHashSet();
            foreach (string line in lines.Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > column && int.TryParse(fields[column], out int pid) && set.Contains(pid))
                    stdout.WriteLine(line);
            }
        }
        return 0;
    }
}
