// CutProxy: a TCP proxy on 127.0.0.1 in front of a registry that closes the connection after a
// given number of bytes of a blob response (GET .../blobs/sha256:...), to simulate a registry
// that stops in the middle of a blob. Other requests pass through untouched. With CutUploads it
// cuts upload requests instead (PATCH or PUT .../blobs/uploads/...): after the given number of
// bytes of the request (line, headers and body) it closes, as a link that dies mid-push would.
//
// Why: "an interrupted pull leaves the store consistent and the next pull completes it" needs an
// interruption at a known point, repeatable, without timing. Stopping the real registry mid-blob
// would depend on how fast the client reads; cutting at a byte count does not.
// How: one task per direction per connection. The client-to-registry pump looks at each request
// line before forwarding it; a blob GET arms a byte budget for the response that follows (HTTP/1.1
// clients do not pipeline, so the next response bytes belong to it). When the budget is spent the
// proxy forwards exactly that many bytes and closes both sockets, as a dying server would (FIN).
// Follows: RFC 9112 (request line, persistent connections), the distribution API's blob path.
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MiniRun.Tests.Registry;

public sealed class CutProxy : IDisposable
{
    private readonly TcpListener listener;
    private readonly int targetPort;
    private readonly CancellationTokenSource stop = new();
    private readonly List<TcpClient> open = new();
    private readonly Task acceptLoop;
    private int cutsRemaining;
    private int cuts;
    private int blobRequests;
    private int uploadRequests;

    public int Port { get; }
    public string Host => $"127.0.0.1:{Port}";
    /// <summary>Bytes of a blob response (status line and headers included) forwarded before the cut.</summary>
    public long CutAfterBytes { get; set; }
    /// <summary>How many more blob responses to cut; -1 cuts every one, 0 passes everything.</summary>
    public int CutsRemaining { get => Volatile.Read(ref cutsRemaining); set => Volatile.Write(ref cutsRemaining, value); }
    /// <summary>Blob responses cut so far.</summary>
    public int Cuts => Volatile.Read(ref cuts);
    /// <summary>Blob GET requests seen so far.</summary>
    public int BlobRequests => Volatile.Read(ref blobRequests);
    /// <summary>PATCH and PUT requests of blob uploads seen so far.</summary>
    public int UploadRequests => Volatile.Read(ref uploadRequests);
    /// <summary>Cut upload requests (client to registry) instead of blob responses.</summary>
    public bool CutUploads { get; set; }

    public CutProxy(int targetPort, long cutAfterBytes, int cuts)
    {
        this.targetPort = targetPort;
        CutAfterBytes = cutAfterBytes;
        cutsRemaining = cuts;
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        acceptLoop = Task.Run(AcceptLoop);
    }

    private async Task AcceptLoop()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            _ = Task.Run(() => Relay(client));
        }
    }

    private sealed class Connection
    {
        public long Budget = -1; // bytes of the current response still allowed; -1: no limit
        public long UpBudget = -1; // bytes of the current upload request still allowed; -1: no limit
    }

    private async Task Relay(TcpClient client)
    {
        var server = new TcpClient();
        lock (open) { open.Add(client); open.Add(server); }
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, targetPort, stop.Token);
            var conn = new Connection();
            var up = Pump(client.GetStream(), server.GetStream(), conn, upstream: true);
            var down = Pump(server.GetStream(), client.GetStream(), conn, upstream: false);
            await Task.WhenAny(up, down);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException) { }
        finally
        {
            client.Close();
            server.Close();
            lock (open) { open.Remove(client); open.Remove(server); }
        }
    }

    private async Task Pump(NetworkStream from, NetworkStream to, Connection conn, bool upstream)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int n = await from.ReadAsync(buffer, stop.Token);
                if (n == 0) return;
                if (upstream)
                {
                    if (IsRequestLine(buffer, n, out bool blobGet, out bool upload))
                    {
                        if (blobGet) Interlocked.Increment(ref blobRequests);
                        if (upload) Interlocked.Increment(ref uploadRequests);
                        lock (conn)
                        {
                            conn.Budget = !CutUploads && blobGet && CutsRemaining != 0 ? CutAfterBytes : -1;
                            conn.UpBudget = CutUploads && upload && CutsRemaining != 0 ? CutAfterBytes : -1;
                        }
                    }
                    long up;
                    lock (conn) up = conn.UpBudget;
                    if (up < 0 || n < up)
                    {
                        if (up >= 0) lock (conn) conn.UpBudget -= n;
                        await to.WriteAsync(buffer.AsMemory(0, n), stop.Token);
                        continue;
                    }
                    // The upload's budget ends inside this chunk: forward up to it, then drop the connection.
                    await to.WriteAsync(buffer.AsMemory(0, (int)up), stop.Token);
                    await to.FlushAsync(stop.Token);
                    Interlocked.Increment(ref cuts);
                    if (CutsRemaining > 0) Interlocked.Decrement(ref cutsRemaining);
                    return;
                }
                long budget;
                lock (conn) budget = conn.Budget;
                if (budget < 0 || n < budget)
                {
                    if (budget >= 0) lock (conn) conn.Budget -= n;
                    await to.WriteAsync(buffer.AsMemory(0, n), stop.Token);
                    continue;
                }
                // The budget ends inside this chunk: forward exactly up to it, then drop the connection.
                await to.WriteAsync(buffer.AsMemory(0, (int)budget), stop.Token);
                await to.FlushAsync(stop.Token);
                Interlocked.Increment(ref cuts);
                if (CutsRemaining > 0) Interlocked.Decrement(ref cutsRemaining);
                return;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
    }

    /// <summary>True when the chunk starts an HTTP request ("METHOD /path HTTP/1.x"); blobGet when it is GET of a blob,
    /// upload when it is a PATCH or PUT of a blob upload session.</summary>
    private static bool IsRequestLine(byte[] buffer, int n, out bool blobGet, out bool upload)
    {
        blobGet = false;
        upload = false;
        int end = Array.IndexOf(buffer, (byte)'\n', 0, n);
        string line = Encoding.ASCII.GetString(buffer, 0, end < 0 ? Math.Min(n, 2048) : end);
        if (!line.Contains(" HTTP/1.", StringComparison.Ordinal)) return false;
        blobGet = line.StartsWith("GET ", StringComparison.Ordinal) && line.Contains("/blobs/sha256:", StringComparison.Ordinal);
        upload = (line.StartsWith("PATCH ", StringComparison.Ordinal) || line.StartsWith("PUT ", StringComparison.Ordinal))
                 && line.Contains("/blobs/uploads/", StringComparison.Ordinal);
        return true;
    }

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
        lock (open) foreach (var c in open) c.Close();
        try { acceptLoop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        stop.Dispose();
    }
}
