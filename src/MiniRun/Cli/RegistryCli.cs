// RegistryCli: the registry verbs: `pull`, `login`, `logout` (being built; see ImageAcquisition
// for how `run --pull` uses the same code).
//
// Follows: docker-pull(1), docker-login(1), docker-logout(1).
using System.CommandLine;

namespace MiniRun.Cli;

public static class RegistryCli
{
    public static IEnumerable<Command> Build(Option<string> rootOption, Option<bool> debugOption)
    {
        yield break;
    }
}
