using System.Net.Sockets;

namespace SocketServer;

/// <summary>TLS for stream servers.</summary>
public partial class TcpServer
{
    /// <summary>
    /// TLS for every connection, or <see langword="null"/> (the default) for plaintext. Stream servers only (TCP and
    /// Unix, in every dispatch mode); handlers derived from <see cref="StreamRequestHandler"/> then read and write
    /// plaintext as usual, and the handshake runs in their setup.
    /// </summary>
    /// <remarks>
    /// Set it before serving. A forking server's worker process builds its own server object: set it there too (the
    /// same program code does). The options are also those <see cref="StreamRequestHandler.StartTls"/> uses by default,
    /// so a STARTTLS server sets them and overrides <see cref="TlsOnAccept"/> to return <see langword="false"/>.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The server is a datagram server: TLS needs a stream.</exception>
    public TlsOptions? Tls
    {
        get;
        set
        {
            if (value is not null && SocketType == SocketType.Dgram)
            {
                throw new InvalidOperationException(
                    $"{GetType().Name} is a datagram server; TLS needs a stream server (TcpServer, UnixStreamServer or their threading and forking variants). DTLS is not supported.");
            }

            field = value;
        }
    }

    /// <summary>
    /// Whether a connection starts with the TLS handshake when <see cref="Tls"/> is set; <see langword="true"/> by
    /// default. <see langword="false"/> serves plaintext until the handler calls <see cref="StreamRequestHandler.StartTls"/>.
    /// </summary>
    /// <remarks>May be overridden or set before serving.</remarks>
    public virtual bool TlsOnAccept { get; set; } = true;
}
