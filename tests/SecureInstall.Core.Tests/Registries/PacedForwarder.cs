using System.Net;
using System.Net.Sockets;

namespace SecureInstall.Core.Tests.Registries;

/// <summary>
/// A TCP forwarder on 127.0.0.1 in front of a registry that passes the registry's bytes on at a paced rate (a chunk,
/// then a pause), so a pull lasts long enough for a fault to land in the middle of it: on an idle machine a 48 MiB blob
/// crosses the loopback faster than the downloader's first progress report (every 1/8 s), and a restart "mid-pull"
/// then came after the last byte. When the upstream connection ends (the registry stopped) the client's ends with it.
/// With a cut, the first connection to pass that many bytes to the client is closed there, once: a blob cut off mid-way.
/// </summary>
internal sealed class PacedForwarder : IDisposable
{
    private const int ChunkSize = 256 * 1024;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _upstreamPort;
    private readonly TimeSpan _pause;
    private readonly long? _cutOnceAfter;
    private int _cut;

    public PacedForwarder(int upstreamPort, TimeSpan pause, long? cutOnceAfter = null)
    {
        _upstreamPort = upstreamPort;
        _pause = pause;
        _cutOnceAfter = cutOnceAfter;
        _listener.Start();
        TcpAcceptLoop.Start(_listener, ForwardAsync);
    }

    public string Host => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Whether the cut has been made.</summary>
    public bool HasCut => Volatile.Read(ref _cut) == 1;

    public void Dispose() => _listener.Stop();

    private async Task ForwardAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, _upstreamPort);
                NetworkStream down = client.GetStream();
                NetworkStream up = upstream.GetStream();
                Task toRegistry = down.CopyToAsync(up);
                Task toClient = PacedCopyAsync(up, down);
                await Task.WhenAny(toRegistry, toClient);
            }
            catch (Exception)
            {
                // Either side went away: closing both is what the client should see.
            }
        }
    }

    private async Task PacedCopyAsync(Stream from, Stream to)
    {
        var buffer = new byte[ChunkSize];
        int n;
        long sent = 0;
        while ((n = await from.ReadAsync(buffer)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, n));
            sent += n;
            if (sent > _cutOnceAfter && Interlocked.Exchange(ref _cut, 1) == 0)
            {
                await Task.Delay(200);   // let the client read what was sent before the connection closes
                return;
            }
            if (_pause > TimeSpan.Zero) await Task.Delay(_pause);
        }
    }
}
