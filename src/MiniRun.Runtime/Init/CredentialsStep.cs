// CredentialsStep: with --trace in a new user namespace, shows this process's ids as the
// container sees them, then asks the runtime to show the same process as the host sees it.
//
// Why: the lesson of user namespaces in one pair of lines: init is root inside ("uid 0") and an
// unprivileged uid outside ("uid 100000", what `ps` on the host prints). The kernel stores one
// id (the host's) and translates it for whoever asks, through the reader's namespace's uid_map:
// /proc/self/status read here shows 0; /proc/PID/status read by the runtime shows 100000. Only
// narration: without --trace, or without a new user namespace, the step does nothing.
//
// Follows: user_namespaces(7) "User and group ID mappings", proc(5) /proc/PID/status and uid_map.
using MiniRun.Trace;

namespace MiniRun.Init;

public static class CredentialsStep
{
    public static void Run(InitContext c)
    {
        if (!c.Trace.Enabled || !c.Spec.Linux.Namespaces.Any(n => n.Type == "user" && n.Path is null)) return;
        c.BeginStep(Messages.CredentialsTitle, Messages.CredentialsWhy);
        string uid = "?", gid = "?";
        foreach (string line in (c.Kernel.ReadFile("/proc/self/status") ?? "").Split('\n'))
        {
            var f = line.Split('\t', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 2) continue;
            if (f[0] == "Uid:") uid = f[1];
            else if (f[0] == "Gid:") gid = f[1];
        }
        string map = string.Join("; ", (c.Kernel.ReadFile("/proc/self/uid_map") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))));
        c.Trace.Note(Messages.CredentialsInside.With(uid, gid, map));
        c.ShowHostCredentials?.Invoke();
    }
}
