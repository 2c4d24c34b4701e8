// FakeHttpServer: a tiny HTTP/1.1 server on a loopback address (127.0.0.1, .2, .3, random port)
// for the registry client tests: it records every request and answers from a test's handler, which
// can also drop the connection before sending headers.
//
// Why: the tests need exact control of status lines, headers (WWW-Authenticate, Location,
// Retry-After) and connection failures, and several "hosts" (registry, token server, CDN) to prove
// where the Authorization header goes. A TcpListener bound to one loopback address gives each a
// distinct origin without DNS or certificates. One request per connection (Connection: close).
// Follows: RFC 9112 (HTTP/1.1 message syntax), just enough of it for GET requests.
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MiniImage.Tests.Registry;

public sealed record FakeRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers)
{
    public string Path => Target.Split('?')[0];
    public string Query => Target.Contains('?') ? Target[(Target.IndexOf('?') + 1)..] : "";
    public string? Header(string name) => Headers.GetValueOrDefault(name.ToLowerInvariant());

    /// <summary>Every value of a query parameter, URL-decoded.</summary>
    public IReadOnlyList<string> QueryValues(string name) =>
        Query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p[0] == name)
            .Select(p => Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""))
            .ToList();
}

public sealed class FakeResponse
{
    public int Status { get; init; } = 200;
    public List<(string Name, string Value)> Headers { get; init; } = [];
    public byte[] Body { get; init; } = [];

    public static FakeResponse Json(int status, string json, params (string, string)[] headers) => new()
    {
        Status = status,
        Body = Encoding.UTF8.GetBytes(json),
        Headers = [("Content-Type", "application/json"), .. headers],
    };

    public static FakeResponse Bytes(int status, byte[] body, string contentType, params (string, string)[] headers) => new()
    {
        Status = status, Body = body, Headers = [("Content-Type", contentType), .. headers],
    };

    /// <summary>Close the connection without answering.</summary>
    public static readonly FakeResponse Drop = new() { Status = -1 };

    /// <summary>Send half a status line, then close: the client has received bytes, so SocketsHttpHandler
    /// does not retry by itself.</summary>
    public static readonly FakeResponse Truncate = new() { Status = -2 };
}

public sealed class FakeHttpServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<FakeRequest> _requests = [];
    private readonly Lock _lock = new();

    public Func<FakeRequest, FakeResponse> Handler { get; set; } = _ => new FakeResponse { Status = 404 };

    public FakeHttpServer(string address = "127.0.0.1")
    {
        _listener = new TcpListener(IPAddress.Parse(address), 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        Address = address;
        _loop = Task.Run(AcceptLoop);
    }

    public string Address { get; }
    public int Port { get; }
    /// <summary>"127.0.0.1:PORT", as a registry name in a reference.</summary>
    public string HostPort => $"{Address}:{Port}";
    public string BaseUrl => $"http://{HostPort}";

    public IReadOnlyList<FakeRequest> Requests { get { lock (_lock) return _requests.ToList(); } }
    public IReadOnlyList<FakeRequest> RequestsTo(string pathPrefix) => Requests.Where(r => r.Path.StartsWith(pathPrefix, StringComparison.Ordinal)).ToList();

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var request = await ReadRequest(stream);
                if (request is null) return;
                lock (_lock) _requests.Add(request);
                FakeResponse response;
                try { response = Handler(request); }
                catch (Exception e) { response = new FakeResponse { Status = 500, Body = Encoding.UTF8.GetBytes(e.ToString()) }; }
                if (response.Status == -2)
                {
                    await stream.WriteAsync("HTTP/1.1 20"u8.ToArray());
                    await stream.FlushAsync();
                    client.Client.LingerState = new LingerOption(true, 0);
                    return;
                }
                if (response.Status < 0) { client.Client.LingerState = new LingerOption(true, 0); return; }   // RST, no answer

                var head = new StringBuilder();
                head.Append($"HTTP/1.1 {response.Status} {Reason(response.Status)}\r\n");
                foreach (var (name, value) in response.Headers) head.Append($"{name}: {value}\r\n");
                head.Append($"Content-Length: {response.Body.Length}\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
                if (request.Method != "HEAD") await stream.WriteAsync(response.Body);
                await stream.FlushAsync();
                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (IOException) { }
            catch (SocketException) { }
            catch (ObjectDisposedException) { }
        }
    }

    private static async Task<FakeRequest?> ReadRequest(NetworkStream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < 65536)
        {
            if (await stream.ReadAsync(one) == 0) return null;
            bytes.Add(one[0]);
            int n = bytes.Count;
            if (n >= 4 && bytes[n - 4] == '\r' && bytes[n - 3] == '\n' && bytes[n - 2] == '\r' && bytes[n - 1] == '\n') break;
        }
        string[] lines = Encoding.ASCII.GetString(bytes.ToArray()).Split("\r\n");
        string[] first = lines[0].Split(' ');
        var headers = new Dictionary<string, string>();
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0) continue;
            string name = line[..colon].Trim().ToLowerInvariant();
            string value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var prev) ? prev + ", " + value : value;
        }
        return new FakeRequest(first[0], first.Length > 1 ? first[1] : "/", headers);
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK", 206 => "Partial Content", 302 => "Found", 307 => "Temporary Redirect", 401 => "Unauthorized",
        403 => "Forbidden", 404 => "Not Found", 416 => "Range Not Satisfiable", 429 => "Too Many Requests",
        500 => "Internal Server Error", 503 => "Service Unavailable", _ => "Status",
    };

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
