using System.Net.Sockets;

namespace SocketServer;

/// <summary>One socket passed by systemd's socket activation (<see cref="SystemdActivation.TakeListenSockets"/>).</summary>
public sealed class SystemdSocket
{
    internal SystemdSocket(int fileDescriptor, string name, Socket socket)
    {
        FileDescriptor = fileDescriptor;
        Name = name;
        Socket = socket;
    }

    /// <summary>The descriptor it was passed as: 3 for the first, then in the socket unit's order.</summary>
    public int FileDescriptor { get; }

    /// <summary>Its name from LISTEN_FDNAMES (the socket unit's <c>FileDescriptorName=</c>), or <c>unknown</c>.</summary>
    public string Name { get; }

    /// <summary>
    /// The socket, bound by systemd (a stream socket is listening). Give it to a server with
    /// <see cref="TcpServer.AdoptSocket"/>; the caller owns it until then.
    /// </summary>
    public Socket Socket { get; }

    /// <summary>Whether it is a stream socket (TCP or Unix stream) rather than a datagram one.</summary>
    public bool IsStream => Socket.SocketType == SocketType.Stream;
}
