// ComposeApp: the course's compose application, as the tests and the compose lab use it - the
// files in docs/labs/compose-app/: a web service built from a Dockerfile (busybox httpd with a CGI
// script) that counts its visits in a key-value store it reaches by the service name `redis`.
//
// Why a store of our own and not redis-server: the tests run offline with only the busybox image
// (no Debian package, no registry), so `redis` is a minimal key-value store written for the test:
// busybox `nc -ll -p 6379 -e store.sh` answers one command per connection ("INCR KEY", "GET KEY"),
// keeping each key in a file on the named volume `data`. What the course shows is unchanged: a
// second service found by name over the project network, its state on a named volume, a
// healthcheck that says when it answers, and `down -v` removing all of it. The CGI script and the
// store write a line to stderr per request, so `compose logs` has something to show.
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Compose;

public static class ComposeApp
{
    public static string Source => Path.Combine(MiniRunHost.RepoRoot, "docs/labs/compose-app");

    public static string StoreSh => File.ReadAllText(Path.Combine(Source, "store", "store.sh"));

    /// <summary>Copies the app into DIR/app (so its project name is "app"); returns the compose file's path.</summary>
    public static string WriteTo(string dir)
    {
        string app = Path.Combine(dir, "app");
        foreach (var file in Directory.EnumerateFiles(Source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(app, Path.GetRelativePath(Source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
            File.SetUnixFileMode(target, File.GetUnixFileMode(file));
        }
        return Path.Combine(app, "compose.yaml");
    }
}
