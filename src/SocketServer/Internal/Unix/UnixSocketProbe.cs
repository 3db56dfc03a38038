using System.Net.Sockets;
using SocketServer.Internal;

namespace SocketServer.Internal.Unix;

/// <summary>Asks a socket file whether anyone owns it, by connecting to it without blocking and sending nothing.</summary>
internal static class UnixSocketProbe
{
    /// <summary>
    /// Connects to <paramref name="path"/> with a socket of <paramref name="socketType"/>, and with the other type
    /// when the file belongs to a socket of that type (EPROTOTYPE).
    /// </summary>
    /// <returns>
    /// <see cref="SocketError.Success"/> (or <see cref="SocketError.WouldBlock"/> when a listener's queue is full):
    /// a live owner. <see cref="SocketError.ConnectionRefused"/>: nobody owns it, the file is stale.
    /// Anything else: the probe could not tell.
    /// </returns>
    /// <remarks>A live stream server sees one connection that closes at once, before any byte.</remarks>
    public static SocketError Connect(string path, SocketType socketType)
    {
        SocketError result = TryConnect(path, socketType);
        if (result == SocketError.ProtocolType)
        {
            result = TryConnect(path, socketType == SocketType.Stream ? SocketType.Dgram : SocketType.Stream);
        }

        return result;
    }

    private static SocketError TryConnect(string path, SocketType socketType)
    {
        // Non-blocking: a blocking Unix connect waits while a live listener's queue is full.
        using var probe = new Socket(AddressFamily.Unix, socketType, ProtocolType.Unspecified) { Blocking = false };
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return SocketError.Success;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
    }
}
