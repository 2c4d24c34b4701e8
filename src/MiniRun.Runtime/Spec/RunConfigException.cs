// RunConfigException: a mistake in what the user asked `minirun run` to do (bad flag value, bad
// env file, unknown user, no command), found while turning the image config and the flags into a
// runtime spec.
//
// Why: these are the user's errors, not MiniRun's: the CLI prints the one-line message as
// `minirun: <message>` and exits with 125, the code Docker uses when the container could not be
// created. Keeping them in one type lets the CLI tell them apart from internal failures.
//
// Follows: docker-run(1) "Exit Status" (125: the error is with the daemon/runtime setup itself).
namespace MiniRun.Spec;

public sealed class RunConfigException : Exception
{
    public RunConfigException(string message) : base(message) { }
}
