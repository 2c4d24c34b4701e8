// LinuxKernel.Seccomp: the seccomp part of the real kernel seam - a filter built with libseccomp
// early, loaded into the kernel late, narrated for --trace.
//
// Why two calls: libseccomp is a shared library of the host. It is loaded (dlopen) on the first
// seccomp_* call, which must happen while the host's / is still this process's root, i.e. before
// pivot_root - so CompileSeccomp runs then. LoadSeccomp runs just before the command is exec'd:
// from that moment every system call of this thread is checked, so as little as possible of
// init's own work should follow it. Init loads the exported BPF program with seccomp(2) itself
// (LoadSeccompFilter), the same way exec's native stage does, so a program from the cache
// (Kernel/SeccompFilterCache.cs) and a fresh one are loaded alike and libseccomp is not needed
// on a cache hit. Nothing is released after the load; execve drops the memory anyway.
//
// --trace shows the filter as libseccomp's Pseudo Filter Code: seccomp_export_pfc writes it to a
// file descriptor, here a memfd, read back and narrated line by line: its first 24 lines and how
// many more there are (Docker's default profile makes about 4000). exec cannot load the filter
// with libseccomp (its child runs only C): ExportSeccompBpf hands it the raw BPF program instead.
//
// The program is laid out as a binary tree sorted by system call number (SCMP_FLTATR_CTL_OPTIMIZE 2)
// rather than libseccomp's default list: the same decisions, found in a few comparisons, so the
// kernel takes it faster at seccomp(2) and checks each call faster (docs/benchmarks.md, issue 11).
//
// Follows: seccomp_init(3), seccomp_arch_add(3), seccomp_attr_set(3) (SCMP_FLTATR_CTL_OPTIMIZE), seccomp_rule_add(3),
// seccomp_syscall_resolve_name(3), seccomp_export_pfc(3), seccomp_export_bpf(3), seccomp_load(3),
// memfd_create(2).
using Microsoft.Win32.SafeHandles;
using MiniRun.Spec;
using static MiniRun.Kernel.Seccomp;

using MiniRun.Trace;

namespace MiniRun.Kernel;

public sealed unsafe partial class LinuxKernel
{
    /// <summary>The compiled filter (scmp_filter_ctx) between CompileSeccomp and LoadSeccomp.</summary>
    private nint _seccomp;

    public IReadOnlyList<string> CompileSeccomp(SeccompProfile profile)
    {
        try
        {
            return Compile(profile);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new InvalidOperationException(
                "linux.seccomp needs libseccomp.so.2 (Debian/Ubuntu package libseccomp2), which could not be loaded: " + e.Message.ReplaceLineEndings(" "), e);
        }
    }

    private IReadOnlyList<string> Compile(SeccompProfile profile)
    {
        if (_seccomp != 0) { seccomp_release(_seccomp); _seccomp = 0; }
        if (_trace.Enabled && seccomp_version() is var v && v != null)
            _trace.Note(Messages.SeccompLibrary.With($"{v->major}.{v->minor}.{v->micro}", profile.Summary()));
        nint ctx = seccomp_init(profile.DefaultAction);
        if (ctx == 0) throw new KernelException($"seccomp_init({profile.DefaultActionText})", Errno.EINVAL);
        if (_trace.Enabled) _trace.Call($"seccomp_init({profile.DefaultActionText})", Messages.ResultSeccompInit.Text);
        try
        {
            foreach (var (name, token) in profile.ExtraArchitectures)
            {
                int rc = seccomp_arch_add(ctx, token);
                if (rc == -Errno.EEXIST) continue;   // the native architecture
                CheckSeccomp(rc, $"seccomp_arch_add(ctx, {name})", $"seccomp_arch_add {name}");
            }
            // libseccomp reports every kernel error as ECANCELED unless asked for the kernel's own errno (EACCES, ...).
            CheckSeccomp(seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1), "seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1)", "seccomp_attr_set SCMP_FLTATR_API_SYSRAWRC 1");
            // A binary tree by system call number instead of libseccomp's default linear list: the same
            // decisions, but a call is found in ~10 comparisons instead of up to ~400, so seccomp(2)
            // takes the program ~3x faster (the kernel walks it for every call number to build its
            // allow cache: 0.72 -> 0.24 ms for Docker's default profile) and each call is checked faster.
            CheckSeccomp(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2), "seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)", "seccomp_attr_set SCMP_FLTATR_CTL_OPTIMIZE 2");
            foreach (var a in profile.Attributes)
                CheckSeccomp(seccomp_attr_set(ctx, a.Attribute, a.Value), $"seccomp_attr_set(ctx, {a.Name}, {a.Value})", $"seccomp_attr_set {a.Name} {a.Value}");
            var skipped = new List<string>();
            int added = 0;
            var args = stackalloc scmp_arg_cmp[6];
            foreach (var rule in profile.Rules)
            {
                int nr = seccomp_syscall_resolve_name(rule.Syscall);
                if (nr == NR_SCMP_ERROR)
                {
                    if (!skipped.Contains(rule.Syscall)) skipped.Add(rule.Syscall);
                    continue;
                }
                for (int i = 0; i < rule.Conditions.Count; i++)
                {
                    var c = rule.Conditions[i];
                    args[i] = new scmp_arg_cmp { arg = c.Index, op = c.Op, datum_a = c.Value, datum_b = c.ValueTwo };
                }
                int rc = seccomp_rule_add_array(ctx, rule.Action, nr, (uint)rule.Conditions.Count, args);
                if (rc < 0)
                {
                    string conditions = rule.Conditions.Count == 0 ? "" : $" if {string.Join(" && ", rule.Conditions)}";
                    CheckSeccomp(rc, $"seccomp_rule_add_array(ctx, {rule.ActionText}, {rule.Syscall}, {rule.Conditions.Count}, ...)",
                        $"seccomp_rule_add {rule.ActionText} {rule.Syscall}{conditions}");
                }
                added++;
            }
            if (_trace.Enabled)
            {
                _trace.Call($"seccomp_rule_add_array(ctx, ...) x {added}", Messages.ResultSeccompRulesAdded.With(skipped.Count).Text);
                ExportPfc(ctx);
            }
            _seccomp = ctx;
            return skipped;
        }
        catch
        {
            seccomp_release(ctx);
            throw;
        }
    }

    /// <summary>
    /// seccomp(SECCOMP_SET_MODE_FILTER, flags, program): the program libseccomp exported (or the
    /// cache kept), loaded as libseccomp's seccomp_load would, without libseccomp.
    /// </summary>
    public void LoadSeccompFilter(byte[] program, uint flags)
    {
        if (program.Length == 0 || program.Length % 8 != 0 || program.Length / 8 > SeccompFilterCache.MaxInstructions)
            throw new InvalidOperationException($"seccomp: {program.Length} bytes are not a BPF program");
        fixed (byte* p = program)
        {
            var fprog = new sock_fprog { len = (ushort)(program.Length / 8), filter = p };
            int rc = LoadFilter(flags, &fprog);
            string call = $"seccomp(SECCOMP_SET_MODE_FILTER, {flags}, {{{program.Length / 8} BPF instructions}})";
            if (rc < 0)
            {
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (_trace.Enabled) _trace.Call(call, $"-1 {Errno.Name(errno)}");
                throw new KernelException("seccomp SECCOMP_SET_MODE_FILTER", errno);
            }
            if (_trace.Enabled) _trace.Call(call, "0");
        }
    }

    /// <summary>
    /// The compiled filter as the BPF program the kernel takes (struct sock_filter[], 8 bytes an
    /// instruction), for a process that loads it itself with seccomp(2): exec's native stage, whose
    /// cloned child cannot call libseccomp. The filter is released here; LoadSeccomp cannot follow.
    /// </summary>
    public byte[] ExportSeccompBpf()
    {
        if (_seccomp == 0) throw new InvalidOperationException("seccomp_export_bpf: no filter was compiled");
        try
        {
            int fd = Libc.memfd_create("minirun-seccomp-bpf", Libc.MFD_CLOEXEC);
            if (fd < 0) throw new KernelException("memfd_create(\"minirun-seccomp-bpf\")", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
            using var stream = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.ReadWrite);
            CheckSeccomp(seccomp_export_bpf(_seccomp, fd), $"seccomp_export_bpf(ctx, {fd})", "seccomp_export_bpf");
            stream.Seek(0, SeekOrigin.Begin);
            using var bytes = new MemoryStream();
            stream.CopyTo(bytes);
            if (bytes.Length == 0 || bytes.Length % 8 != 0)
                throw new InvalidOperationException($"seccomp_export_bpf wrote {bytes.Length} bytes, not a whole number of 8-byte BPF instructions");
            if (_trace.Enabled) _trace.Note(Messages.SeccompReadBack.With(bytes.Length / 8));
            return bytes.ToArray();
        }
        finally
        {
            seccomp_release(_seccomp);
            _seccomp = 0;
        }
    }

    /// <summary>libseccomp returns -errno; the trace line and the KernelException are built as for libc calls.</summary>
    private void CheckSeccomp(int rc, string call, string operation)
    {
        if (rc < 0)
        {
            if (_trace.Enabled) _trace.Call(call, $"-{Errno.Name(-rc)}");
            throw new KernelException(operation, -rc);
        }
        if (_trace.Enabled) _trace.Call(call, rc.ToString());
    }

    /// <summary>The filter as PFC text, narrated one line each (seccomp_export_pfc into a memfd).</summary>
    private void ExportPfc(nint ctx)
    {
        int fd = Libc.memfd_create("minirun-seccomp-pfc", Libc.MFD_CLOEXEC);
        if (fd < 0) { _trace.Note(Messages.SeccompNoListing.With("memfd_create failed")); return; }
        using var stream = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.ReadWrite);
        int rc = seccomp_export_pfc(ctx, fd);
        if (rc < 0) { _trace.Note(Messages.SeccompNoListing.With($"seccomp_export_pfc: {Errno.Describe(-rc)}")); return; }
        stream.Seek(0, SeekOrigin.Begin);
        _trace.Call($"seccomp_export_pfc(ctx, {fd})", Messages.ResultSeccompExport.Text);
        using var reader = new StreamReader(stream);
        int shown = 0, more = 0;
        while (reader.ReadLine() is { } line)
        {
            if (shown < PfcLinesShown) { _trace.Listing("  " + line); shown++; }
            else more++;
        }
        if (more > 0)
            _trace.Note(Messages.SeccompMoreLines.With(more));
    }

    /// <summary>How much of the pseudo code --trace shows: the start is the lesson, the default profile's 4000 lines fit no screen.</summary>
    private const int PfcLinesShown = 24;
}
