// ExecAttributesStep: the last process attributes before the command starts - the file mode
// creation mask (process.user.umask) and no_new_privs (process.noNewPrivileges).
//
// Why: the umask decides the mode of every file the command creates (022: others may read,
// 077: nobody else may); it passes through execve. no_new_privs is a one-way switch: from now
// on no execve can gain privileges - a setuid-root binary (su, ping, passwd) runs with the
// caller's ids and a file's capabilities are ignored - so a process of a non-root user cannot
// become root again inside the container. It is also what lets an unprivileged process install
// a seccomp filter.
//
// Order constraints: after every step that needs privileges (mounts, the user switch, capset),
// and right before exec (or before --init spawns the command, which inherits both); a seccomp
// filter, if any, comes after no_new_privs.
//
// Follows: umask(2), prctl(2) PR_SET_NO_NEW_PRIVS, the kernel's
// Documentation/userspace-api/no_new_privs.rst, runtime-spec config.md "User" (umask) and
// "Linux Process" (noNewPrivileges).
using MiniRun.Trace;

namespace MiniRun.Init;

public static class ExecAttributesStep
{
    public static void Run(InitContext c)
    {
        uint? umask = c.Spec.Process.User.Umask;
        bool noNewPrivs = c.Spec.Process.NoNewPrivileges;
        if (umask is null && !noNewPrivs) return;
        c.BeginStep(Messages.ExecAttributesTitle, Messages.ExecAttributesWhy);
        if (umask is uint mask)
            c.Kernel.Umask(CheckUmask(mask));
        if (noNewPrivs)
            c.Kernel.SetNoNewPrivileges();
    }

    /// <summary>process.user.umask when it is a file mode mask (at most 0777); throws naming the field otherwise.</summary>
    public static uint CheckUmask(uint mask) => mask <= 0x1ff ? mask
        : throw new InvalidDataException($"process.user.umask {Convert.ToString(mask, 8)} (octal) is not a file mode mask (at most 0777)");
}
