// Sysctls: `--sysctl KEY=VALUE` as config.json's linux.sysctl, with Docker's check.
//
// Why: most of /proc/sys is global; a container may set only the kernel parameters that belong
// to a namespace of its own. Docker's CLI accepts kernel.msgmax, kernel.msgmnb, kernel.msgmni,
// kernel.sem, kernel.shmall, kernel.shmmax, kernel.shmmni, kernel.shm_rmid_forced (IPC
// namespace), fs.mqueue.* (IPC) and net.* (network namespace); anything else is refused before
// the container exists. MiniRun gives every container its own IPC and network namespace (it has
// no --ipc host or --network host), so no accepted key can reach the host; the core checks the
// same again for any bundle (Init/SysctlStep.cs), and a net.* key the new namespace lacks fails
// there with ENOENT.
//
// Follows: docker-run(1) "--sysctl"; Docker's CLI opts.ValidateSysctl (list and error text);
// sysctl(8); ipc_namespaces(7), network_namespaces(7).
using MiniRun.Spec;

namespace MiniRun.Security;

public static class Sysctls
{
    private static readonly string[] Allowed =
        ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"];

    private static readonly string[] AllowedPrefixes = ["net.", "fs.mqueue."];

    /// <summary>(key, value) of an accepted --sysctl; RunConfigException with Docker's text otherwise.</summary>
    public static (string Key, string Value) Parse(string value)
    {
        int eq = value.IndexOf('=');
        string key = eq < 0 ? value : value[..eq];
        if (eq < 0 || !(Allowed.Contains(key) || AllowedPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal))))
            throw new RunConfigException($"invalid argument {GoQuote.Quote(value)} for \"--sysctl\" flag: sysctl '{value}' is not allowed");
        return (key, value[(eq + 1)..]);
    }

    /// <summary>Adds linux.sysctl; returns HostConfig.Sysctls.</summary>
    public static Dictionary<string, string> Apply(RuntimeSpec spec, RunOptions o)
    {
        var sysctls = new Dictionary<string, string>();
        foreach (var (key, value) in o.Sysctls.Select(Parse)) sysctls[key] = value;
        if (sysctls.Count > 0) spec.Linux.Sysctl = new Dictionary<string, string>(sysctls);
        return sysctls;
    }
}
