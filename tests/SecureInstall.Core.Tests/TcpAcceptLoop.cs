using System.Net.Sockets;

namespace SecureInstall.Core.Tests;

/// <summary>The accept loop of the tests' own TCP servers (a proxy, a paced forwarder): each connection on its own task, until the listener stops.</summary>
internal static class TcpAcceptLoop
{
    public static void Start(TcpListener listener, Func<TcpClient, Task> handle) => _ = Task.Run(async () =>
    {
        while (true)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(); }
            catch (Exception) { return; }   // the listener was stopped
            _ = Task.Run(() => handle(client));
        }
    });
}
