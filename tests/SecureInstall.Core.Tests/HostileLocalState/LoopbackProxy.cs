using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>
/// A tiny HTTP proxy on 127.0.0.1 that demands Basic Proxy-Authorization: without the right header it answers 407;
/// with it, it tunnels CONNECT to the target and serves a plain GET itself (with <see cref="Body"/>). Counts every request.
/// </summary>
internal sealed class LoopbackProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _expected;
    private int _requests;

    public LoopbackProxy(string user, string password, byte[] body)
    {
        _expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));
        Body = body;
        _listener.Start();
        TcpAcceptLoop.Start(_listener, HandleAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public byte[] Body { get; }

    /// <summary>Requests received (CONNECT or GET), answered or refused.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Requests that carried the right Proxy-Authorization.</summary>
    public int Authorized;

    public Uri Address(string? userInfo = null) => new($"http://{(userInfo != null ? userInfo + "@" : "")}127.0.0.1:{Port}/");

    public void Dispose() => _listener.Stop();

    private async Task HandleAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                string head = await ReadHeadAsync(stream);
                if (head.Length == 0) return;
                Interlocked.Increment(ref _requests);
                string[] lines = head.Split("\r\n");
                string[] requestLine = lines[0].Split(' ');
                string? auth = lines.Skip(1).Where(l => l.StartsWith("Proxy-Authorization:", StringComparison.OrdinalIgnoreCase))
                    .Select(l => l.Substring(l.IndexOf(':') + 1).Trim()).FirstOrDefault();
                if (auth != _expected)
                {
                    await WriteAsync(stream, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"loopback\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    return;
                }
                Interlocked.Increment(ref Authorized);
                if (requestLine[0] == "CONNECT")
                {
                    string[] target = requestLine[1].Split(':');
                    using var upstream = new TcpClient();
                    try
                    {
                        await upstream.ConnectAsync(target[0], int.Parse(target[1]));
                    }
                    catch (SocketException)
                    {
                        // What a real proxy answers when the target is down: the client reports it with the proxy's URI.
                        await WriteAsync(stream, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                        return;
                    }
                    await WriteAsync(stream, "HTTP/1.1 200 Connection established\r\n\r\n");
                    NetworkStream up = upstream.GetStream();
                    Task a = stream.CopyToAsync(up);
                    Task b = up.CopyToAsync(stream);
                    await Task.WhenAny(a, b);
                    return;
                }
                await WriteAsync(stream, $"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {Body.Length}\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(Body);
            }
            catch (Exception)
            {
                // The client went away; nothing to report.
            }
        }
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one) <= 0) return string.Empty;
            head.Append((char)one[0]);
        }
        return head.ToString();
    }

    private static Task WriteAsync(NetworkStream stream, string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();
}
