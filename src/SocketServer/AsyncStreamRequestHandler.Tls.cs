using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SocketServer.Internal;
using SocketServer.Internal.Async;
using SocketServer.Internal.Tls;

namespace SocketServer;

/// <summary>TLS: what was negotiated, when the server has <see cref="TcpServer.Tls"/>.</summary>
/// <remarks>
/// STARTTLS (upgrading a plaintext connection from inside the handler) is not provided for async handlers: use a
/// <see cref="StreamRequestHandler"/> and its <see cref="StreamRequestHandler.StartTls"/> for such protocols. With
/// <see cref="TcpServer.TlsOnAccept"/> false an async handler's connection stays plaintext.
/// </remarks>
public partial class AsyncStreamRequestHandler
{
    /// <summary>Whether the connection is encrypted: the server has <see cref="TcpServer.Tls"/>, and the handshake succeeded before the handler started.</summary>
    public bool IsTls => TlsStream is not null;

    /// <summary>The negotiated TLS version (<see cref="SslProtocols.Tls12"/> or <see cref="SslProtocols.Tls13"/>); <see cref="SslProtocols.None"/> without TLS.</summary>
    public SslProtocols TlsProtocol => TlsFacts.Protocol(TlsStream);

    /// <summary>The application protocol chosen by ALPN (see <see cref="TlsOptions.ApplicationProtocols"/>); <see langword="null"/> when none was.</summary>
    public SslApplicationProtocol? TlsApplicationProtocol => TlsFacts.ApplicationProtocol(TlsStream);

    /// <summary>The host name the client asked for by SNI; <see langword="null"/> without TLS or when it sent none.</summary>
    public string? TlsHostName => TlsFacts.HostName(TlsStream);

    /// <summary>The client's certificate (accepted by the server's policy); <see langword="null"/> when it sent none or without TLS.</summary>
    public X509Certificate2? TlsClientCertificate => TlsFacts.ClientCertificate(TlsStream);

    /// <summary>The TLS stream under <see cref="Input"/> and <see cref="Output"/>, or null for plaintext.</summary>
    internal SslStream? TlsStream { get; private set; }

    /// <summary>
    /// The stream the pipes go over when the handler runs on the request's thread (ServeForever, threading, forking):
    /// the socket's, or the TLS stream over it after the handshake when the server has TLS.
    /// </summary>
    /// <exception cref="TlsHandshakeException">The TLS handshake failed or timed out.</exception>
    private Stream OpenStream(Socket socket)
    {
        var network = new NetworkStream(socket, ownsSocket: false);
        if (PortableConnections.TlsOnAccept(Server) is not { } options)
        {
            return network;
        }

        TlsStream = TlsHandshake.Authenticate(network, options, ClientAddress);
        return TlsStream;
    }

    /// <summary>Sends close_notify after the handler ran on the request's thread, so the client sees a clean end.</summary>
    private void SendCloseNotify()
    {
        if (TlsStream is not { } stream)
        {
            return;
        }

        try
        {
            stream.ShutdownAsync().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException || SocketErrors.IsSocketLevel(e))
        {
            // The client may be gone already; there is no one left to tell.
        }
    }
}
