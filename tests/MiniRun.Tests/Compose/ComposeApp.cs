// ComposeApp: the course's compose application as test files - a web service built from a
// Dockerfile (busybox httpd with a CGI script) that counts its visits in a key-value store it
// reaches by the service name `redis`.
//
// Why a store of our own and not redis-server: the tests run offline with only the busybox image
// (no Debian package, no registry), so `redis` is a minimal key-value store written for the test:
// busybox `nc -ll -p 6379 -e store.sh` answers one command per connection ("INCR KEY", "GET KEY"),
// keeping each key in a file on the named volume `data`. What the course shows is unchanged: a
// second service found by name over the project network, its state on a named volume, a
// healthcheck that says when it answers, and `down -v` removing all of it. The CGI script and the
// store write a line to stderr per request, so `compose logs` has something to show.
namespace MiniRun.Tests.Compose;

public static class ComposeApp
{
    public const string Dockerfile = """
        FROM busybox
        COPY counter.cgi /www/cgi-bin/counter
        RUN chmod 755 /www/cgi-bin/counter
        EXPOSE 80
        CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
        """;

    public const string CounterCgi = """
        #!/bin/sh
        n=$(printf 'INCR hits\n' | nc redis 6379)
        echo "counter: request number ${n:-?}" >&2
        printf 'Content-Type: text/plain\r\n\r\n'
        echo "Hello from web! I have been seen ${n:-?} times."

        """;

    public const string StoreSh = """
        #!/bin/sh
        # A minimal key-value store: one command per connection, "INCR KEY" or "GET KEY".
        read -r cmd key
        f="/data/$key"
        case "$cmd" in
          INCR) n=$(( $(cat "$f" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$f"; echo "$n" ;;
          GET) cat "$f" 2>/dev/null || echo 0 ;;
          *) echo "ERR unknown command" ;;
        esac
        echo "store: $cmd $key" >&2

        """;

    public const string Compose = """
        services:
          web:
            build: ./web
            ports:
              - "${WEB_PORT:-8000}:80"
            depends_on:
              redis:
                condition: service_healthy
          redis:
            image: busybox
            command: ["nc", "-ll", "-p", "6379", "-e", "/store/store.sh"]
            volumes:
              - ./store:/store:ro
              - data:/data
            healthcheck:
              test: ["CMD-SHELL", "echo GET hits | nc 127.0.0.1 6379 | grep -q '^[0-9]'"]
              interval: 500ms
              timeout: 2s
              retries: 20
        volumes:
          data:

        """;

    /// <summary>Writes the app into DIR/app (so its project name is "app"); returns the compose file's path.</summary>
    public static string WriteTo(string dir)
    {
        string app = Path.Combine(dir, "app");
        Directory.CreateDirectory(Path.Combine(app, "web"));
        Directory.CreateDirectory(Path.Combine(app, "store"));
        File.WriteAllText(Path.Combine(app, "web", "Dockerfile"), Dockerfile);
        File.WriteAllText(Path.Combine(app, "web", "counter.cgi"), CounterCgi);
        File.WriteAllText(Path.Combine(app, "store", "store.sh"), StoreSh);
        File.SetUnixFileMode(Path.Combine(app, "store", "store.sh"), (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(app, "compose.yaml"), Compose);
        return Path.Combine(app, "compose.yaml");
    }
}
