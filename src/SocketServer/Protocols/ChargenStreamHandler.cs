using System.Net.Sockets;
using SocketServer.Internal;

namespace SocketServer.Protocols;

/// <summary>
/// The character generator protocol (RFC 864) on a stream: from the moment a client connects it is sent lines of 72
/// printable ASCII characters, each starting one character further along the ring of all 95 of them, each ended by
/// CR LF, until it closes the connection. What it sends is ignored (left unread).
/// </summary>
/// <remarks>
/// <para>
/// Each write is one turn of the ring (95 lines, 7030 bytes) and blocks until the connection has taken it, so a client
/// that reads slowly slows the handler down and nothing piles up in memory; under the server's
/// <see cref="ServerLimits.MinSendRate"/> a client that stops reading is cut off.
/// </para>
/// <para>
/// The stream has no end of its own, so the handler also stops at a drain (<see cref="BaseServer.ShutdownAsync"/>),
/// which counts it as completed rather than waiting out the grace period for it. A client that resets or goes away
/// ends it quietly, as <see cref="EchoStreamHandler"/> does.
/// </para>
/// </remarks>
public class ChargenStreamHandler : StreamRequestHandler
{
    /// <summary>Writes the pattern until the client goes away or the server drains.</summary>
    protected override void Handle()
    {
        ReadOnlySpan<byte> cycle = ChargenPattern.Cycle.Span;
        Internal.Limits.ConnectionTracker connections = Server.Connections;
        try
        {
            while (!connections.IsDraining)
            {
                WFile.Write(cycle);
            }
        }
        catch (IOException e) when (SocketErrors.IsPeerGone(e) || ResetSeenAsTimeout(e))
        {
        }
    }

    /// <summary>
    /// On Linux, .NET's blocking send reports a reset that arrives while it waits for room in the send buffer (where
    /// this handler spends its time) as <see cref="SocketError.TimedOut"/>, although the kernel said ECONNRESET. With no
    /// <see cref="StreamRequestHandler.Timeout"/> set, no time-out was asked for, so that is the client gone; a limit
    /// that cut the connection (<see cref="ConnectionLimitException"/>) still propagates.
    /// </summary>
    private bool ResetSeenAsTimeout(IOException e) =>
        Timeout is null
        && e is not ConnectionLimitException
        && e.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut };
}
