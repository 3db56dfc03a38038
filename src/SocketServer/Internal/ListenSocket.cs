using System.Net.Sockets;

namespace SocketServer.Internal;

/// <summary>What a socket someone else created is: used when adopting one (systemd, <see cref="TcpServer.AdoptSocket"/>).</summary>
internal static class ListenSocket
{
    /// <summary>Whether <paramref name="socket"/> is listening (SO_ACCEPTCONN); false for datagram sockets.</summary>
    public static bool IsListening(Socket socket)
    {
        try
        {
            return socket.SocketType == SocketType.Stream
                && socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection) is int accepting && accepting != 0;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
