using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SocketServer.Internal.Tls;

namespace SocketServer;

/// <summary>TLS: the handshake in <see cref="Setup"/> when the server has <see cref="TcpServer.Tls"/>, STARTTLS, and what was negotiated.</summary>
public partial class StreamRequestHandler
{
    /// <summary>The TLS stream over <see cref="Connection"/>, or <see langword="null"/> while the connection is plaintext.</summary>
    /// <remarks>Read and write through <see cref="RFile"/> and <see cref="WFile"/>, not this: it is here for what it tells.</remarks>
    public SslStream? TlsStream { get; private set; }

    /// <summary>Whether the connection is encrypted (after the handshake in setup, or after <see cref="StartTls"/>).</summary>
    public bool IsTls => TlsStream is not null;

    /// <summary>The negotiated TLS version (<see cref="SslProtocols.Tls12"/> or <see cref="SslProtocols.Tls13"/>); <see cref="SslProtocols.None"/> without TLS.</summary>
    public SslProtocols TlsProtocol => TlsFacts.Protocol(TlsStream);

    /// <summary>The application protocol chosen by ALPN (see <see cref="TlsOptions.ApplicationProtocols"/>); <see langword="null"/> when none was.</summary>
    public SslApplicationProtocol? TlsApplicationProtocol => TlsFacts.ApplicationProtocol(TlsStream);

    /// <summary>The host name the client asked for by SNI; <see langword="null"/> without TLS or when it sent none.</summary>
    public string? TlsHostName => TlsFacts.HostName(TlsStream);

    /// <summary>The client's certificate (accepted by the server's policy); <see langword="null"/> when it sent none or without TLS.</summary>
    public X509Certificate2? TlsClientCertificate => TlsFacts.ClientCertificate(TlsStream);

    /// <summary>
    /// Upgrades the live connection to TLS from inside <see cref="BaseRequestHandler.Handle"/> (STARTTLS): flushes
    /// <see cref="WFile"/>, runs the handshake, then points <see cref="RFile"/> and <see cref="WFile"/> at the TLS stream.
    /// </summary>
    /// <param name="options">The TLS options; <see langword="null"/> for the server's <see cref="TcpServer.Tls"/>.</param>
    /// <remarks>
    /// Send the protocol's "go ahead" reply before calling this. If the client sent bytes after its STARTTLS
    /// command that <see cref="RFile"/> has already read ahead, the upgrade is refused: those bytes came in the clear
    /// and must not be taken as if they came over TLS (the STARTTLS command-injection attack, CVE-2011-0411).
    /// </remarks>
    /// <exception cref="InvalidOperationException">The connection is TLS already, there are no options, or plaintext is buffered beyond the command.</exception>
    /// <exception cref="TlsHandshakeException">The handshake failed or timed out; the connection is unusable.</exception>
    public void StartTls(TlsOptions? options = null)
    {
        if (IsTls)
        {
            throw new InvalidOperationException("StartTls: the connection is encrypted already.");
        }

        options ??= (Server as TcpServer)?.Tls
            ?? throw new InvalidOperationException("StartTls needs TLS options: pass them, or set the server's Tls property.");
        WFile.Flush();
        int buffered = RFile.BufferedCount;
        if (buffered > 0)
        {
            throw new InvalidOperationException(
                $"StartTls refused: the client {ClientAddress} sent {buffered} more plaintext byte(s) after the command, before the TLS handshake; they might have been injected (STARTTLS command injection).");
        }

        UseTls(TlsHandshake.Authenticate(new NetworkStream(Connection, ownsSocket: false), options, ClientAddress, Server.Diagnostics));
    }

    /// <summary>The handshake at setup, when the server has TLS options and starts TLS on accept.</summary>
    private void SetupTls()
    {
        if (Server is TcpServer { Tls: { } options, TlsOnAccept: true })
        {
            TlsStream = TlsHandshake.Authenticate(new NetworkStream(Connection, ownsSocket: false), options, ClientAddress, Server.Diagnostics);
        }
    }

    private void UseTls(SslStream stream)
    {
        // The plaintext streams are done with: disposing them never closes the socket.
        RFile.Dispose();
        WFile.Dispose();
        TlsStream = stream;
        CreateFiles();
    }

    /// <summary>
    /// Sends TLS close_notify (so clients see a clean end rather than a truncation) and disposes the TLS stream; it
    /// never owns the socket, which the server closes.
    /// </summary>
    private void FinishTls()
    {
        if (TlsStream is not { } stream)
        {
            return;
        }

        try
        {
            stream.ShutdownAsync().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or System.Security.Cryptography.CryptographicException || Internal.SocketErrors.IsSocketLevel(e))
        {
            // The client may be gone already; there is no one left to tell.
        }

        stream.Dispose();
    }
}
