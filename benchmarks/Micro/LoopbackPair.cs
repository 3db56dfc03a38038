using System.Net;
using System.Net.Sockets;

namespace SocketServer.Micro;

/// <summary>Two connected TCP sockets on 127.0.0.1, Nagle off: a real kernel socket pair for the benchmarks.</summary>
internal sealed class LoopbackPair : IDisposable
{
    private LoopbackPair(Socket client, Socket server)
    {
        Client = client;
        Server = server;
    }

    /// <summary>The side that connected.</summary>
    public Socket Client { get; }

    /// <summary>The side that was accepted.</summary>
    public Socket Server { get; }

    /// <summary>Connects a new pair through a listener that is closed again at once.</summary>
    /// <returns>The pair.</returns>
    public static LoopbackPair Connect()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect(listener.LocalEndPoint!);
        Socket server = listener.Accept();
        server.NoDelay = true;
        return new LoopbackPair(client, server);
    }

    /// <summary>Receives exactly <paramref name="buffer"/>'s length, or throws if the peer closes first.</summary>
    /// <param name="socket">The socket to read.</param>
    /// <param name="buffer">Where the bytes go.</param>
    public static void ReceiveExactly(Socket socket, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int read = socket.Receive(buffer);
            if (read == 0)
            {
                throw new IOException("The peer closed the connection in the middle of a message.");
            }

            buffer = buffer[read..];
        }
    }

    /// <summary>Closes both sockets.</summary>
    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
