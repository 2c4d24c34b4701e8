// AppArmorStep: with process.apparmorProfile, the container's program starts confined by that
// AppArmor profile.
//
// Why: AppArmor (the LSM of Ubuntu and Debian) limits what even root may do by path and by
// operation: Docker's default profile denies mount, writes to most of /proc/sys and /sys, raw
// access to /proc/kcore and friends, whatever capabilities the process holds. The kernel applies
// a profile to a process at execve when the process wrote "exec PROFILE" to its own
// /proc/thread-self/attr/apparmor/exec (/proc/thread-self/attr/exec before Linux 5.8): the
// transition happens exactly at the container's execve, after every step of init ran unconfined.
// The write goes through init's private procfs (Kernel/PrivateProc.cs): a mount laid over the
// attr file would otherwise make the label land elsewhere and leave the container unconfined
// (CVE-2019-19921, CVE-2025-52881). It runs while init still holds CAP_SYS_ADMIN (fsopen needs it)
// and before the seccomp filter; the label waits in the task until execve, across the user switch.
// On a host without AppArmor the start fails in one line: a profile is never silently dropped.
//
// Follows: apparmor(7), proc(5) /proc/pid/attr, the kernel's admin-guide/LSM/apparmor.rst,
// runtime-spec config.md "process.apparmorProfile".
using MiniRun.Kernel;

using MiniRun.Trace;

namespace MiniRun.Init;

public static class AppArmorStep
{
    public const string EnabledFile = "/sys/module/apparmor/parameters/enabled";

    public static void Run(InitContext c)
    {
        string? profile = c.Spec.Process.ApparmorProfile;
        if (profile is null || profile == "unconfined") return;
        c.BeginStep(Messages.AppArmorTitle.With(profile), Messages.AppArmorWhy);
        if (c.Kernel.ReadFile(EnabledFile)?.Trim() != "Y")
            throw new InitFailure(125, $"process.apparmorProfile {GoQuote.Quote(profile)}: AppArmor is not enabled on this host ({EnabledFile} is not Y)");
        try
        {
            c.Kernel.WriteProcFile("/proc/thread-self/attr/apparmor/exec", $"exec {profile}");
        }
        catch (KernelException e) when (e.Errno == Errno.ENOENT)
        {
            c.Kernel.WriteProcFile("/proc/thread-self/attr/exec", $"exec {profile}");   // kernels before 5.8
        }
    }
}
