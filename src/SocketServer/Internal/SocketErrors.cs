using System.Net.Sockets;

namespace SocketServer.Internal;

/// <summary>Sorts exceptions the way Python sorts <c>OSError</c> from the rest.</summary>
internal static class SocketErrors
{
    /// <summary>
    /// Whether <paramref name="exception"/> is what Python would raise as <c>OSError</c>: a socket failure, an I/O
    /// failure, or a socket that was already closed (.NET's <see cref="ObjectDisposedException"/> for EBADF).
    /// </summary>
    public static bool IsSocketLevel(Exception exception) =>
        exception is SocketException or IOException or ObjectDisposedException;

    /// <summary>Whether accepting failed because the process or the system ran out of descriptors or buffers.</summary>
    public static bool IsResourceExhaustion(Exception exception) =>
        exception is SocketException { SocketErrorCode: SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable };

    /// <summary>
    /// Whether <paramref name="exception"/> says the peer went away (reset, aborted, or the pipe broke because it closed):
    /// the end of a conversation rather than a fault of the server's. Limit aborts are not included.
    /// </summary>
    /// <param name="exception">A failure from a read or write on a connection.</param>
    /// <returns><see langword="true"/> for a vanished peer.</returns>
    public static bool IsPeerGone(Exception exception) =>
        exception is not ConnectionLimitException
        && (exception as SocketException ?? exception.InnerException as SocketException)?.SocketErrorCode
            is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown;
}
