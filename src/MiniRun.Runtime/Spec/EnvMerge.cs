// EnvMerge: computes the container process's environment from the image's Env and the user's
// --env-file / -e entries, the way Docker does.
//
// Why: programs depend on it (PATH, HOSTNAME, TERM) and people compare `env` output with Docker.
//
// Docker's rules, in order (daemon merge of image and user config, then the daemon's defaults):
//   1. Start from the defaults: PATH=<default path>, HOSTNAME=<hostname>, and TERM=xterm with -t.
//   2. Apply the user's entries (env files in order, then -e in order): "K=V" replaces K where
//      it already is (keeping its position) or is appended; a bare "K" (from `-e K` with K unset
//      in the calling environment) removes K.
//   3. Apply the image's Env entries whose name the user did not mention at all, the same way.
//      So the image's PATH replaces the default PATH in first position, and image-only variables
//      come after the user's.
// One deliberate difference: Docker appends a name given twice by the user twice; MiniRun keeps
// one entry (later value wins, first position), so getenv() and `env` agree.
// HOME is not set here: the init stage appends HOME=<home directory from the image's passwd> when
// it is missing, once the user is resolved inside the rootfs (runc does the same).
//
// Follows: Docker daemon (daemon/commit.go merge, container.CreateDaemonEnvironment,
// ReplaceOrAppendEnvValues) and docker-run(1) "ENV (environment variables)".
namespace MiniRun.Spec;

public static class EnvMerge
{
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <param name="imageEnv">The image config's Env (may be null).</param>
    /// <param name="userEnv">Env-file entries then -e entries, as produced by <see cref="EnvFile.UserEnv"/>.</param>
    /// <param name="hostname">The container's hostname (HOSTNAME default).</param>
    /// <param name="tty">-t: adds TERM=xterm unless set.</param>
    public static List<string> Merge(IReadOnlyList<string>? imageEnv, IReadOnlyList<string> userEnv, string hostname, bool tty)
    {
        var env = new OrderedEnv();
        env.Apply("PATH=" + DefaultPath);
        env.Apply("HOSTNAME=" + hostname);
        if (tty)
            env.Apply("TERM=xterm");

        var userNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (string e in userEnv)
        {
            userNames.Add(NameOf(e));
            env.Apply(e);
        }
        if (imageEnv != null)
        {
            foreach (string e in imageEnv)
            {
                if (!userNames.Contains(NameOf(e)))
                    env.Apply(e);
            }
        }
        return env.ToList();
    }

    /// <summary>
    /// The container's configured Env as Docker records it (inspect's `.Config.Env`): the user's
    /// entries first, then the image's whose name the user did not mention; without the daemon's
    /// defaults (no HOSTNAME, no default PATH, no TERM). The process gets <see cref="Merge"/>.
    /// </summary>
    public static List<string> Configured(IReadOnlyList<string>? imageEnv, IReadOnlyList<string> userEnv)
    {
        var env = new OrderedEnv();
        var userNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (string e in userEnv)
        {
            userNames.Add(NameOf(e));
            env.Apply(e);
        }
        foreach (string e in imageEnv ?? [])
            if (!userNames.Contains(NameOf(e)))
                env.Apply(e);
        return env.ToList();
    }

    /// <summary>The name part of "NAME=value" (or the whole string when it has no '=').</summary>
    public static string NameOf(string entry)
    {
        int eq = entry.IndexOf('=');
        return eq < 0 ? entry : entry[..eq];
    }

    /// <summary>An environment with one entry per name that keeps the position of first appearance.</summary>
    private sealed class OrderedEnv
    {
        private readonly List<string?> _entries = new();
        private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

        public void Apply(string entry)
        {
            string name = NameOf(entry);
            bool hasValue = entry.Length != name.Length;
            if (_index.TryGetValue(name, out int i))
            {
                if (hasValue)
                {
                    _entries[i] = entry;
                }
                else
                {
                    _entries[i] = null;
                    _index.Remove(name);
                }
            }
            else if (hasValue)
            {
                _index[name] = _entries.Count;
                _entries.Add(entry);
            }
        }

        public List<string> ToList() => _entries.Where(e => e != null).Select(e => e!).ToList();
    }
}
