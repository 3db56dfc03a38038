using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SocketServer.Internal;
using SocketServer.Internal.Async;
using SocketServer.Internal.Diagnostics;
using SocketServer.Internal.Tls;

namespace SocketServer;

/// <summary>TLS: what was negotiated, when the server has <see cref="TcpServer.Tls"/>, and STARTTLS.</summary>
/// <remarks>
/// With <see cref="TcpServer.TlsOnAccept"/> false an async handler's connection starts in plaintext; the handler may
/// upgrade it with <see cref="StartTlsAsync"/> (STARTTLS), in every mode it runs in. Under
/// <see cref="BaseServer.ServeAsync"/> on Linux the connection then leaves the event loop and is served over an
/// <see cref="SslStream"/> off the loops, as connections accepted with TLS are.
/// </remarks>
public partial class AsyncStreamRequestHandler
{
    /// <summary>Whether the connection is encrypted: the handshake succeeded before the handler started (the server has <see cref="TcpServer.Tls"/>), or in <see cref="StartTlsAsync"/>.</summary>
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
    /// Upgrades the live connection to TLS from inside <see cref="HandleAsync"/> (STARTTLS): flushes
    /// <see cref="Output"/>, runs the handshake, then gives the handler new <see cref="Input"/> and <see cref="Output"/>
    /// pipes carrying plaintext over TLS (and a new <see cref="ConnectionClosed"/> under <see cref="BaseServer.ServeAsync"/>).
    /// </summary>
    /// <param name="options">The TLS options; <see langword="null"/> for the server's <see cref="TcpServer.Tls"/>.</param>
    /// <param name="cancellationToken">Cancels the handshake, besides its deadline (<see cref="TlsOptions.HandshakeTimeout"/>).</param>
    /// <returns>A task that completes when the connection is encrypted.</returns>
    /// <remarks>
    /// <para>Write the protocol's "go ahead" reply, then call this without reading in between (it flushes the reply).
    /// If the client sent more plaintext after its STARTTLS command (the line a read helper returned last is the
    /// command, and is consumed here), the upgrade is refused: those bytes came in the clear and must not be taken as
    /// if they came over TLS (the STARTTLS command-injection attack, CVE-2011-0411). The start of a TLS handshake
    /// record already received is the client's hello, not plaintext: the handshake reads it.</para>
    /// <para>The handshake is bounded by <see cref="TlsOptions.HandshakeTimeout"/> and fails as at accept time. The
    /// server's <see cref="BaseServer.Limits"/> keep applying to the connection's reads afterwards.</para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">
    /// The connection is TLS already, there are no options, or plaintext is buffered beyond the command (nothing is
    /// sent; the exception ends the handler and the server closes the connection).
    /// </exception>
    /// <exception cref="TlsHandshakeException">The handshake failed or timed out; the connection is unusable.</exception>
    public async ValueTask StartTlsAsync(TlsOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (IsTls)
        {
            throw new InvalidOperationException("StartTlsAsync: the connection is encrypted already.");
        }

        options ??= (Server as TcpServer)?.Tls
            ?? throw new InvalidOperationException("StartTlsAsync needs TLS options: pass them, or set the server's Tls property.");
        await Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        ConsumePending(HelperInput);
        byte[] early = TlsUpgrade.TakeEarlyHandshake(HelperInput, ClientAddress);
        if (_connection is { } connection)
        {
            // Under ServeAsync: on the reactor the socket first moves off the loop, and the request with it.
            PortableConnection target = await connection.PrepareStartTlsAsync().ConfigureAwait(false);
            _connection = target;
            await target.StartTlsAsync(options, early, Server.Diagnostics, cancellationToken).ConfigureAwait(false);
            Input = target.InputSeenByLimits();
            Output = target.Output;
            TlsStream = target.TlsStream;
            return;
        }

        // On the request's thread: the pipes are this handler's, over a NetworkStream on the socket.
        SslStream tls = await TlsUpgrade.HandshakeAsync(_requestSocket!, early, options, ClientAddress, Server.Diagnostics, cancellationToken).ConfigureAwait(false);
        PipeReader plainInput = Input;
        PipeWriter plainOutput = Output;
        TlsStream = tls;
        Stream counted = CountingStream.Over(tls, Server.Diagnostics.Traffic);
        Input = PipeReader.Create(counted, new StreamPipeReaderOptions(leaveOpen: true));
        Output = PipeWriter.Create(counted, new StreamPipeWriterOptions(leaveOpen: true));
        await plainOutput.CompleteAsync().ConfigureAwait(false);
        await plainInput.CompleteAsync().ConfigureAwait(false);
    }

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

        TlsStream = TlsHandshake.Authenticate(network, options, ClientAddress, Server.Diagnostics);
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
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or System.Security.Cryptography.CryptographicException || SocketErrors.IsSocketLevel(e))
        {
            // The client may be gone already; there is no one left to tell.
        }
    }
}
