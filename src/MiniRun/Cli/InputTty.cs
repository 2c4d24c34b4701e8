// InputTty: Docker's refusal to attach a container's terminal to an input that is not a terminal:
// `echo | minirun run -it busybox sh` ends at once with "the input device is not a TTY", exit 1.
//
// Why: with -it the container gets a pseudo-terminal and our stdin is copied into it as typed
// keys; a pipe or a script's redirected stdin cannot be put in raw mode and has no window size,
// and the shell on the other side would wait for keystrokes that never come (the run hung, the
// container stayed Up). Docker checks this in its client before it creates anything, for
// `run -i -t` (not with -d), `exec -i -t` (not with -d, after the container was found) and
// `attach` to a container that has a terminal (unless --no-stdin). `start -a -i` is not checked.
//
// Follows: docker/cli cli/streams In.CheckTty (the message; Windows adds a winpty hint), isatty(3).
using MiniRun.Kernel;

namespace MiniRun.Cli;

public static class InputTty
{
    public const string Message = "the input device is not a TTY";

    /// <summary>Throws Docker's error (exit 1) when stdin would be attached to a terminal but is not one itself.</summary>
    public static void Require(bool attachStdin, bool tty)
    {
        if (Lacking(attachStdin, tty)) throw Error();
    }

    /// <summary>Stdin would be attached to a container's terminal but is not a terminal itself.</summary>
    public static bool Lacking(bool attachStdin, bool tty) => attachStdin && tty && Libc.isatty(0) != 1;

    public static CliError Error() => new(Message, 1) { Bare = true };   // Docker prints it as it is, even for run
}
