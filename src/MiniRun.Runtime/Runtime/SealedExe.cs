// SealedExe: every MiniRun process that enters a container runs the binary from a read-only,
// detached bind mount of itself, so a container can never write the runtime's binary on the host.
//
// Why (CVE-2019-5736): a process entering a container - `minirun init`, the clone that `exec`
// makes - is the runtime's binary until it calls execve, and a container file "#!/proc/self/exe"
// (or /bin/sh -> /proc/self/exe) makes that execve run the runtime's binary once more, with the
// container's ELF interpreter as the code that runs. That code opens /proc/self/exe (the host's
// binary), waits until no process runs it (before, a write fails with ETXTBSY) and re-opens
// /proc/self/fd/N for writing: root in the container may write a root-owned host file. The next
// `minirun run` would then run the attacker's program as root on the host.
//
// The defence: the binary is executed through a descriptor of a private bind mount of itself
// (open_tree OPEN_TREE_CLONE: a mount attached nowhere, so nobody can unmount or change it),
// made read-only (mount_setattr MOUNT_ATTR_RDONLY). /proc/PID/exe then names that file on that
// read-only mount: opening it for writing fails with EROFS, however long a descriptor is held.
// No copy is made (runc's first fix copied the binary into a sealed memfd on every start).
//   - init and the supervisor are spawned by the native stage through execveat on that descriptor
//     (Runtime/NativeStage.cs: Descriptor);
//   - `exec` enters the container from the CLI process itself (a clone that shares its memory, and
//     so its /proc/PID/exe), so that process first re-executes itself sealed (ReexecIfWritable).
// readlink /proc/self/exe of a sealed process shows "/" (the root of a detached mount).
//
// Follows: open_tree(2), mount_setattr(2), execveat(2), proc(5) /proc/PID/exe, runc's advisory
// GHSA-gxmr-w5mj-v8hh (the attack, described in words).
using System.Runtime.InteropServices;
using MiniRun.Kernel;

namespace MiniRun.Runtime;

public static unsafe class SealedExe
{
    /// <summary>Set in the environment of a process re-executed sealed: it must not try again.</summary>
    public const string MarkerVariable = "_MINIRUN_SEALED";

    private static readonly Dictionary<string, int> Descriptors = new();

    /// <summary>
    /// A close-on-exec descriptor of <paramref name="exe"/> on a private read-only bind mount, for
    /// execveat(fd, "", ..., AT_EMPTY_PATH). One per path and process; never closed.
    /// </summary>
    public static int Descriptor(string exe)
    {
        lock (Descriptors)
        {
            if (Descriptors.TryGetValue(exe, out int cached)) return cached;
            if (OnReadOnlyMount(exe))
            {
                // Already sealed (a re-executed process's /proc/self/exe) or installed read-only: execute it as it is.
                int plain = Libc.open(exe, Libc.O_PATH | Libc.O_CLOEXEC, 0);
                if (plain < 0) throw new RuntimeException($"open {exe}: {Errno.Describe(Marshal.GetLastPInvokeError())}");
                return Descriptors[exe] = plain;
            }
            int fd = (int)Libc.syscall_open_tree(Libc.SYS_open_tree, Libc.AT_FDCWD, exe, Libc.OPEN_TREE_CLONE | Libc.OPEN_TREE_CLOEXEC);
            if (fd < 0)
                throw new RuntimeException($"seal the runtime binary (CVE-2019-5736): open_tree {exe}: {Errno.Describe(Marshal.GetLastPInvokeError())}");
            var attr = new Libc.mount_attr { attr_set = Libc.MOUNT_ATTR_RDONLY | Libc.MOUNT_ATTR_NODEV };
            if (Libc.syscall_mount_setattr(Libc.SYS_mount_setattr, fd, "", Libc.AT_EMPTY_PATH, &attr, (nuint)sizeof(Libc.mount_attr)) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                Libc.close(fd);
                throw new RuntimeException($"seal the runtime binary (CVE-2019-5736): mount_setattr {exe} read-only: {Errno.Describe(errno)}");
            }
            Descriptors[exe] = fd;
            return fd;
        }
    }

    /// <summary>True when this process's binary lies on a read-only mount (sealed, or installed read-only).</summary>
    public static bool IsSealed() => OnReadOnlyMount("/proc/self/exe");

    private static bool OnReadOnlyMount(string path)
    {
        Libc.statvfs_t st;
        return Libc.statvfs(path, &st) == 0 && (st.f_flag & Libc.ST_RDONLY) != 0;
    }

    /// <summary>
    /// Before this process enters a container (`exec`): unless its binary is already on a
    /// read-only mount, execute it again, sealed, with the same arguments and environment.
    /// Returns only when nothing had to be done; throws when sealing is impossible.
    /// </summary>
    public static void ReexecIfWritable()
    {
        if (IsSealed()) return;
        if (Environment.GetEnvironmentVariable(MarkerVariable) is not null)
            throw new RuntimeException("seal the runtime binary (CVE-2019-5736): re-executed from a read-only mount, but /proc/self/exe is still writable");
        int fd = Descriptor("/proc/self/exe");
        var argv = ReadNulSeparated("/proc/self/cmdline");
        var envp = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => $"{e.Key}={e.Value}").Append($"{MarkerVariable}=1").ToList();
        using var native = new NativeStrings("", argv, envp);
        Libc.syscall_execveat(Libc.SYS_execveat, fd, "", native.Argv, native.Envp, Libc.AT_EMPTY_PATH);
        throw new RuntimeException($"seal the runtime binary (CVE-2019-5736): execveat: {Errno.Describe(Marshal.GetLastPInvokeError())}");
    }

    private static List<string> ReadNulSeparated(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var parts = new List<string>();
        int start = 0;
        for (int i = 0; i < bytes.Length; i++)
            if (bytes[i] == 0) { parts.Add(System.Text.Encoding.UTF8.GetString(bytes, start, i - start)); start = i + 1; }
        if (start < bytes.Length) parts.Add(System.Text.Encoding.UTF8.GetString(bytes, start, bytes.Length - start));
        return parts;
    }
}
