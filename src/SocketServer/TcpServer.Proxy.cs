using System.Net.Sockets;
using SocketServer.Internal.Requests;

namespace SocketServer;

/// <summary>The PROXY protocol for stream servers.</summary>
public partial class TcpServer
{
    /// <summary>
    /// The PROXY protocol (v1 and v2) on this listener, or <see langword="null"/> (the default): every connection must
    /// then start with a header from a trusted proxy, read before the limits, <see cref="BaseServer.VerifyRequest"/>
    /// and TLS, in every mode. See <see cref="ProxyProtocolOptions"/>.
    /// </summary>
    /// <remarks>
    /// Set it before serving. A forking server's parent reads the header and passes it to the worker with the
    /// connection.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The server is a datagram server.</exception>
    public ProxyProtocolOptions? ProxyProtocol
    {
        get;
        set
        {
            if (value is not null && SocketType == SocketType.Dgram)
            {
                throw new InvalidOperationException(
                    $"{GetType().Name} is a datagram server; the PROXY protocol is supported on stream servers (TcpServer, UnixStreamServer and their threading and forking variants).");
            }

            field = value;
        }
    }

    /// <inheritdoc/>
    internal override ProxyProtocolOptions? ProxyProtocolFor(object request) =>
        ProxyProtocol is { } options && AcceptedSocket.IsStreamConnection(request) ? options : null;
}
