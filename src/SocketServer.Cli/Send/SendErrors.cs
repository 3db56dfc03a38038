using System.Net.Sockets;

namespace SocketServer.Cli.Send;

/// <summary>The one-line reasons <c>send</c> gives when it cannot reach its server.</summary>
internal static class SendErrors
{
    /// <summary>Why a connect (or a datagram exchange) failed, as the end of a sentence.</summary>
    /// <param name="e">The failure.</param>
    /// <param name="target">The server.</param>
    /// <returns>The reason, without a final full stop.</returns>
    public static string Describe(SocketException e, SendTarget target) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused when target.IsUnix => "connection refused (no server is listening on that socket)",
        SocketError.ConnectionRefused => "connection refused (nothing listens there)",
        SocketError.AddressNotAvailable when target.IsUnix => "no such socket file",
        SocketError.AccessDenied => "permission denied",
        SocketError.NetworkUnreachable or SocketError.HostUnreachable => "the address is unreachable",
        SocketError.ConnectionReset => "the connection was reset",
        _ => e.Message.TrimEnd('.'),
    };

    /// <summary>Why a connection that was open failed, as the end of a sentence.</summary>
    /// <param name="e">The failure.</param>
    /// <returns>The reason, without a final full stop.</returns>
    public static string Describe(Exception e) =>
        (e as SocketException ?? e.InnerException as SocketException) is { } socket
            ? socket.SocketErrorCode switch
            {
                SocketError.ConnectionReset => "the server reset it",
                SocketError.Shutdown or SocketError.ConnectionAborted => "the server had closed it",
                _ => socket.Message.TrimEnd('.'),
            }
            : e.Message.TrimEnd('.');
}
