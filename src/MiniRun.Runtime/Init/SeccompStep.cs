// SeccompStep: the container's seccomp filter (linux.seccomp): compiled before pivot_root, loaded
// into the kernel as late as its privilege rule allows (see "Privilege" below).
//
// Why two steps:
//   Compile (before pivot_root): the spec is checked and mapped (Spec/SeccompProfile.cs), then
//     libseccomp builds the filter and exports it as a BPF program. libseccomp.so.2 is the host's
//     library; it is loaded on this first call, while the host's / is still ours - after
//     pivot_root the dynamic loader would search the container's /usr/lib. A bad profile also
//     fails here, before any other work. A filter built before for the same checked profile on
//     this machine comes from the runtime's cache instead (Kernel/SeccompFilterCache.cs), and
//     libseccomp is not loaded at all.
//   Load (late; where exactly: "Privilege" below): from the load on, the kernel checks every system call
//     of this thread and everything it starts, so it comes as late as possible - after the user
//     switch, the working directory and the PATH lookup, which the filter could otherwise break.
//     What still follows is small: close_range and execve (the exec step; with --init the
//     supervisor's clone/wait4/kill, since minirun init stays PID 1 under the filter just as
//     tini does under Docker's); with --trace, the narration's sendmsg on the sync socket. A
//     profile that denies by default must allow those, as with runc. Docker's and podman's
//     default profiles do. The load comes before "stay PID 1 (--init)" so --init containers
//     are filtered too.
//
// Privilege: the kernel accepts a filter only from a process that has no_new_privs set or holds
// CAP_SYS_ADMIN (seccomp(2), EACCES otherwise). So there are two places in InitSteps:
//   process.noNewPrivileges true: LoadLast, right after the no_new_privs step, as late as possible
//     (libseccomp would also set no_new_privs itself: SCMP_FLTATR_CTL_NNP);
//   false: LoadWhilePrivileged, before the bounding set is limited and the uid switched (both can
//     take CAP_SYS_ADMIN away). The filter then also sees the rest of init's setup - capset,
//     setresuid, chdir, the PATH lookup, the start gate's read - which Docker's and podman's
//     profiles allow, as they must for runc, which loads at the same point.
//
// The load is seccomp(2) with the exported program and the flags libseccomp's own load would pass
// (TSYNC, LOG, SPEC_ALLOW from linux.seccomp.flags), exactly as exec's native stage loads it.
//
// Follows: seccomp(2) (SECCOMP_SET_MODE_FILTER, no_new_privs, EACCES); prctl(2) PR_SET_NO_NEW_PRIVS;
// runtime-spec config-linux.md "Seccomp" and config.md "noNewPrivileges".
using MiniRun.Kernel;
using MiniRun.Spec;

using MiniRun.Trace;

namespace MiniRun.Init;

public static class SeccompStep
{
    /// <summary>Checks linux.seccomp and builds the filter, or takes it from the cache (nothing to do without one).</summary>
    public static void Compile(InitContext c)
    {
        if (c.Spec.Linux.Seccomp is not { } spec) return;
        c.BeginStep(Messages.SeccompCompileTitle, Messages.SeccompCompileWhy);
        var profile = SeccompProfile.Compile(spec, c.Spec.Process.NoNewPrivileges);   // RunConfigException names the field
        foreach (var note in profile.Notes) c.Trace.Note(note);
        c.Trace.Fact(TraceFact.Seccomp, Messages.FactSeccompRules.With(profile.DefaultActionText, profile.Rules.Count).Text);
        c.SeccompFlags = MiniRun.Runtime.ExecSecurity.FilterFlags(profile);
        string? key = c.SeccompCache is null ? null : SeccompFilterCache.Key(profile);
        string why = "";
        if (key is not null && c.SeccompCache!.TryRead(key, out why) is { } cached)
        {
            c.Trace.Note(Messages.SeccompCached.With(cached.Length / 8, c.SeccompCache.PathOf(key)));
            c.SeccompFilter = cached;
            return;
        }
        if (key is not null) c.Trace.Note(Messages.SeccompCacheMiss.With(c.SeccompCache!.PathOf(key), why));
        var skipped = c.Kernel.CompileSeccomp(profile);
        if (skipped.Count > 0)
            c.Trace.Note(Messages.SeccompUnknownNames.With(skipped.Count, string.Join(" ", skipped)));
        c.SeccompFilter = c.Kernel.ExportSeccompBpf();
        if (key is not null && c.SeccompCache!.Write(key, c.SeccompFilter) is { } failed)
            c.Trace.Note(Messages.SeccompNotCached.With(failed));
    }

    /// <summary>
    /// Without process.noNewPrivileges the kernel takes a filter only from a holder of
    /// CAP_SYS_ADMIN: load it before the capability and uid steps drop that (runc's order too).
    /// </summary>
    public static void LoadWhilePrivileged(InitContext c)
    {
        if (!c.Spec.Process.NoNewPrivileges) Load(c);
    }

    /// <summary>With process.noNewPrivileges: as late as possible, right after no_new_privs is set.</summary>
    public static void LoadLast(InitContext c)
    {
        if (c.Spec.Process.NoNewPrivileges) Load(c);
    }

    /// <summary>Hands the compiled filter to the kernel; the process is filtered from here on.</summary>
    public static void Load(InitContext c)
    {
        if (c.SeccompFilter is not { } program) return;
        c.SeccompFilter = null;   // loaded once
        c.BeginStep(Messages.SeccompLoadTitle, Messages.SeccompLoadWhy);
        try
        {
            c.Kernel.LoadSeccompFilter(program, c.SeccompFlags);
            c.Trace.Fact(TraceFact.Seccomp, Messages.FactSeccompLoaded.With(program.Length / 8).Text);
        }
        catch (KernelException e) when (e.Errno == Errno.EACCES && !c.Spec.Process.NoNewPrivileges)
        {
            throw new InvalidOperationException($"{e.Message}: without process.noNewPrivileges the kernel accepts a seccomp filter only from a process with CAP_SYS_ADMIN, which this one no longer has");
        }
    }
}
