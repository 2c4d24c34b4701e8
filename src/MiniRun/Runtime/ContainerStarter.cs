// ContainerStarter: the parent's side of creating a container from a bundle (config.json).
//
// Why: this is where the container begins. In order:
//   1. open the namespaces to join (spec paths) and choose the CLONE_NEW* flags to create;
//   2. create the sync socketpair;
//   3. clone through the native stage, which execs `minirun init <bundle>` in the child;
//   4. show the new namespaces next to the host's (--trace);
//   5. with a user namespace: write /proc/PID/uid_map and gid_map, then "G" (sync 1);
//   6. serve init's messages until EOF (exec happened) or an error.
// After Start returns, the container's command is running (or init reported why not).
//
// Follows: runtime-spec runtime.md "create", user_namespaces(7) (uid_map, gid_map, setgroups).
using System.Runtime.InteropServices;
using MiniRun.Init;
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Runtime;

public sealed record StartRequest(
    string BundleDir,
    RuntimeSpec Spec,
    string InitExecutable,
    bool ConnectStdin,
    ConsoleTrace? Trace = null,
    string ProcRoot = "/proc");

public sealed record StartResult(int Pid, int TerminalMaster, int? FailureCode, string? FailureMessage);

public static class ContainerStarter
{
    public static StartResult Start(StartRequest request)
    {
        var spec = request.Spec;
        var trace = request.Trace;
        int flags = 0;
        var joinFds = new List<int>();
        try
        {
            foreach (var ns in spec.Linux.Namespaces.OrderBy(n => n.Type == "user" ? 0 : 1))
            {
                if (ns.Path is null) { flags |= Namespaces.FlagFor(ns.Type); continue; }
                int fd = Libc.open(ns.Path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
                if (fd < 0) throw new KernelException($"open namespace {ns.Path}", Marshal.GetLastPInvokeError());
                joinFds.Add(fd);
            }
            var (parent, child) = SyncChannel.CreatePair();
            using (parent)
            {
                int devNull = request.ConnectStdin ? -1 : Libc.open("/dev/null", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
                int pid;
                try
                {
                    trace?.Step("clone the container's first process",
                        "one clone(2) creates every namespace at once; the child runs only C until it execs `minirun init`");
                    var env = new List<string> { $"{InitProcess.SyncFdVariable}={child.Fd}" };
                    if (trace is not null)
                        env.Add($"{InitProcess.TraceVariable}={trace.NextNumber + 1}{(trace.Pauses ? ",pause" : "")}");
                    pid = NativeStage.Spawn(flags, child.Fd, joinFds, (devNull, -1, -1), request.InitExecutable,
                        ["minirun", "init", request.BundleDir], env);
                }
                finally
                {
                    child.Dispose();
                    if (devNull >= 0) Libc.close(devNull);
                }
                trace?.Call($"clone({Namespaces.FlagNames(flags)}|SIGCHLD)", $"{pid} (host view); inside its new PID namespace this process is PID 1");
                if (trace is not null) ShowNamespaces(trace, pid, flags, request.ProcRoot);
                if ((flags & Namespaces.CLONE_NEWUSER) != 0)
                {
                    IdMaps.Write(pid, spec.Linux.UidMappings, spec.Linux.GidMappings, trace, request.ProcRoot);
                    parent.Send("G");   // sync 1: the maps are written, the child may become root in its namespace
                }
                return Serve(parent, pid, trace);
            }
        }
        finally
        {
            foreach (var fd in joinFds) Libc.close(fd);
        }
    }

    /// <summary>Handles init's messages until it execs (EOF) or reports a failure.</summary>
    private static StartResult Serve(SyncChannel parent, int pid, ConsoleTrace? trace)
    {
        int master = -1;
        while (true)
        {
            string? message = parent.Receive(out int fd);
            if (message is null)
                return new StartResult(pid, master, null, null);
            switch (message[0])
            {
                case 'T': trace?.Raw(message[2..]); break;
                case 'P':
                    trace?.Raw(message[2..]);
                    trace?.WaitForEnter();
                    parent.Send("A");   // sync 2: run the step
                    break;
                case 'F': master = fd; break;
                case 'E':
                {
                    var parts = message.Split(' ', 3);
                    return new StartResult(pid, master, int.Parse(parts[1]), parts.Length > 2 ? parts[2] : "init failed");
                }
                case 'C':
                {
                    var parts = message.Split(' ', 3);
                    string step = parts.Length > 2 ? parts[2] : "?";
                    return new StartResult(pid, master, 125, $"native stage: {step}: {Errno.Describe(int.Parse(parts[1]))}");
                }
            }
        }
    }

    private static void ShowNamespaces(ConsoleTrace trace, int pid, int flags, string procRoot)
    {
        foreach (var (type, flag, procName) in Namespaces.All)
        {
            string? mine = Namespaces.Inode(pid, procName, procRoot), host = Namespaces.Inode(0, procName, procRoot);
            string verdict = (flags & flag) != 0 ? "new" : "shared with the host";
            trace.Note($"{procName,-6} namespace: {mine} (host: {host}) {verdict}   ls -l {procRoot}/{pid}/ns/{procName}");
        }
    }
}
