// UserNamespaceSetup: the parent's half of starting a container in a new user namespace, while
// the cloned child waits: uid_map/gid_map, the idmapped rootfs, then "go" (sync 1).
//
// Why: a process in a fresh user namespace has no ids mapped: it is nobody (65534) inside, while
// on the host it is still the uid that cloned it (0). Only a process outside may write its maps.
// So the two sides meet at a sync point (numbered like crun's):
//   child  (Native/clone_stage.c step 2)  read(sync socket, 1 byte) - blocks, nothing mapped yet
//   parent (here)   1. write /proc/PID/uid_map and gid_map (IdMaps.cs)
//                   2. with an overlay: idmap the layers and mount the rootfs in the child's mount
//                      namespace (IdmappedRootfs.cs), which needs the maps written and the host's root
//                   3. send "G"
//   child  setresgid(0,0,0), setresuid(0,0,0): root inside = the mapped uid outside; exec init
// Why the child waits: had it called setresuid(0) before step 1, uid 0 would not exist in its
// namespace (EINVAL); had it exec'd first, execve would have dropped every capability it holds
// in the namespace (not root there). --trace shows the same process's credentials from both
// sides: here before the switch, and again once init runs (Init/CredentialsStep.cs, message "U").
//
// Follows: user_namespaces(7) ("User and group ID mappings", "Capabilities"), credentials(7),
// proc(5) /proc/PID/status, setns(2).
using MiniRun.Kernel;
using MiniRun.Spec;
using MiniRun.Trace;

namespace MiniRun.Runtime;

public static class UserNamespaceSetup
{
    /// <summary>Steps 1-3; <paramref name="go"/> sends "G" to the waiting child.</summary>
    public static void Run(int pid, RuntimeSpec spec, string bundleDir, ConsoleTrace? trace, string procRoot, Action go, bool nodevDevices = false)
    {
        trace?.Note(Messages.ChildWaitsForMaps.With(pid));
        IdMaps.Write(pid, spec.Linux.UidMappings, spec.Linux.GidMappings, trace, procRoot);
        if (trace is not null)
        {
            var (uid, gid) = HostCredentials(pid, procRoot);
            trace.Note(Messages.NotSwitchedYet.With(uid, gid, Inside(uid, spec.Linux.UidMappings)));
        }
        if (IdmappedRootfs.Applies(spec))
        {
            string rootfs = Path.IsPathRooted(spec.Root.Path) ? spec.Root.Path : Path.GetFullPath(Path.Combine(bundleDir, spec.Root.Path));
            string userns = $"{procRoot}/{pid}/ns/user";
            bool identity = IdmappedRootfs.IsIdentity(spec);   // identity maps: no idmapping, no userns fd
            int usernsFd = identity ? -1 : Libc.open(userns, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
            if (usernsFd < 0 && !identity)
                throw new KernelException($"open {userns}", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
            try
            {
                var kernel = new LinuxKernel(trace);
                MountNamespaceThread.Run(pid, () => IdmappedRootfs.Mount(kernel, (ITrace?)trace ?? NullTrace.Instance, spec.Linux.Overlay!, rootfs, usernsFd, nodevDevices), procRoot);
            }
            finally { if (usernsFd >= 0) Libc.close(usernsFd); }
        }
        go();
        trace?.Call("write(sync socket, \"G\")", Messages.ResultGoSent.Text);
    }

    /// <summary>The Uid and Gid lines' real ids of /proc/PID/status, as this (host) process sees them.</summary>
    public static (string Uid, string Gid) HostCredentials(int pid, string procRoot = "/proc")
    {
        string uid = "?", gid = "?";
        try
        {
            foreach (string line in File.ReadLines($"{procRoot}/{pid}/status"))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal)) uid = line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
                else if (line.StartsWith("Gid:", StringComparison.Ordinal)) gid = line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
            }
        }
        catch (IOException) { }
        return (uid, gid);
    }

    /// <summary>A host id as the namespace sees it: mapped, or the overflow id 65534 ("nobody") when no map line covers it.</summary>
    public static string Inside(string hostId, List<SpecIdMapping>? maps)
    {
        if (!uint.TryParse(hostId, out uint id) || maps is null) return "?";
        foreach (var m in maps)
            if (id >= m.HostId && id - m.HostId < m.Size) return $"uid {m.ContainerId + (id - m.HostId)}";
        return "uid 65534 (nobody: no map line covers it)";
    }
}
