// WorkdirSteps: create the working directory if the image lacks it, then enter it.
//
// Why two steps: Docker creates a missing WORKDIR / -w directory, which needs root, so it is
// made before the user switch; the chdir happens after the switch, so a user who may not enter
// the directory gets the error they would get on any Linux system.
//
// The directory entered must be inside the container's root: a cwd such as /proc/self/fd/N naming
// a descriptor this process holds could lead anywhere (CVE-2024-21626); getcwd(2) checks it.
//
// Follows: chdir(2), getcwd(2), runtime-spec config.md "process.cwd".
using MiniRun.Trace;

namespace MiniRun.Init;

public static class WorkdirSteps
{
    public static void Prepare(InitContext c)
    {
        string cwd = c.Spec.Process.Cwd;
        if (cwd == "/" || c.Kernel.Exists(cwd)) return;
        c.BeginStep(Messages.CreateWorkdirTitle.With(cwd), Messages.CreateWorkdirWhy);
        SpecMountSteps.MkdirAll(c, "/", ScopedPath.Resolve("/", cwd));
    }

    public static void ChangeDirectory(InitContext c)
    {
        c.BeginStep(Messages.ChdirTitle.With(c.Spec.Process.Cwd), Messages.ChdirWhy);
        c.Kernel.Chdir(c.Spec.Process.Cwd);
        // CVE-2024-21626: "/proc/self/fd/N" of a descriptor this process still holds would be a
        // directory outside the container's root; getcwd(2) then says "(unreachable)".
        if (c.Kernel.GetCwd() is null)
            throw new InitFailure(126, $"chdir to cwd ({GoQuote.Quote(c.Spec.Process.Cwd)}) set in config.json failed: the directory is outside the container's root");
    }
}
