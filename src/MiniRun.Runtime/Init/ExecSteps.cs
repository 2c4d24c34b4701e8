// ExecSteps: find the command in the container's PATH, close every inherited descriptor, exec.
//
// Why: the command is looked up in the container's PATH (from the image and -e), inside the
// container's root, as the container's user - never on the host. Exit codes follow Docker:
// 127 when the command does not exist, 126 when it exists but cannot be executed.
// close_range(3, ~0, CLOSE_RANGE_CLOEXEC) guarantees that no descriptor of the host (or of this
// runtime) leaks into the container; the sync socket closes too, which tells the parent that
// exec happened.
//
// Follows: execve(2), close_range(2), environ(7) (PATH search as execvp(3) does it).
using MiniRun.Kernel;

using MiniRun.Trace;

namespace MiniRun.Init;

public static class ExecSteps
{
    /// <summary>OCI --preserve-fds N: descriptors 3 .. 3+N-1, inherited from the runtime's caller, stay open.</summary>
    public const string PreserveFdsVariable = "_MINIRUN_PRESERVE_FDS";

    public static void LookPath(InitContext c)
    {
        var args = c.Spec.Process.Args;
        if (args.Count == 0) throw new InitFailure(125, "no command specified");
        string name = args[0];
        c.BeginStep(Messages.LookupTitle.With(name), Messages.LookupWhy);
        if (name.Contains('/'))
        {
            if (!c.Kernel.Exists(name))
                throw new InitFailure(127, $"exec: {GoQuote.Quote(name)}: stat {name}: no such file or directory");
            if (c.Kernel.IsDirectory(name) || !c.Kernel.IsExecutable(name))
                throw new InitFailure(126, $"exec: {GoQuote.Quote(name)}: permission denied");
            c.ExecutablePath = name;
            return;
        }
        string path = c.Env.LastOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? "";
        bool deniedSomewhere = false;
        foreach (var dir in path.Split(':'))
        {
            string candidate = Path.Combine(dir.Length == 0 ? "." : dir, name);
            if (!c.Kernel.Exists(candidate) || c.Kernel.IsDirectory(candidate)) continue;
            if (c.Kernel.IsExecutable(candidate)) { c.ExecutablePath = candidate; c.Trace.Note(Messages.LookupFound.With(candidate)); return; }
            deniedSomewhere = true;
        }
        throw deniedSomewhere
            ? new InitFailure(126, $"exec: {GoQuote.Quote(name)}: permission denied")
            : new InitFailure(127, $"exec: {GoQuote.Quote(name)}: executable file not found in $PATH");
    }

    public static void Exec(InitContext c)
    {
        c.BeginStep(Messages.ExecTitle, Messages.ExecWhy);
        c.Trace.Fact(TraceFact.Command, string.Join(' ', [c.ExecutablePath ?? c.Spec.Process.Args[0], .. c.Spec.Process.Args.Skip(1)]) + " (PID 1)");
        c.Kernel.CloseOnExecFrom(3 + c.PreserveFds);
        try
        {
            c.Kernel.Execve(c.ExecutablePath!, c.Spec.Process.Args, c.Env);
        }
        catch (KernelException e) when (e.Errno is Errno.EACCES or Errno.ENOEXEC or Errno.EISDIR or Errno.ETXTBSY)
        {
            throw new InitFailure(126, $"exec: {GoQuote.Quote(c.Spec.Process.Args[0])}: {Errno.Describe(e.Errno)}");
        }
        catch (KernelException e) when (e.Errno is Errno.ENOENT)
        {
            throw new InitFailure(127, $"exec: {GoQuote.Quote(c.Spec.Process.Args[0])}: {Errno.Describe(e.Errno)}");
        }
    }
}
