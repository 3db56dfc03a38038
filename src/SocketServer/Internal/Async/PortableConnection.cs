using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using SocketServer.Internal.Limits;

namespace SocketServer.Internal.Async;

/// <summary>
/// A connection of the portable transport: pipes over a <see cref="NetworkStream"/> on the accepted socket, or over
/// the <see cref="SslStream"/> on it after a TLS handshake. When the handler completed, its output is flushed (with
/// TLS, close_notify is sent) and the server's <c>ShutdownRequest</c> closes the socket.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The stream is disposed when the handler completes; the token source has no timer and may be cancelled after that, so it is never disposed.")]
internal sealed class PortableConnection : IAsyncConnection
{
    private readonly PortableConnections _owner;
    private Stream _stream;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly EndPoint? _clientAddress;
    private byte[] _carried = [];
    private int _completed;

    /// <summary>
    /// Creates the pipes over <paramref name="stream"/>, a stream on <paramref name="socket"/> that does not own it;
    /// <paramref name="request"/> is the connection as the server's hooks know it (the socket, or the
    /// <see cref="Requests.AcceptedSocket"/> it was built from).
    /// </summary>
    public PortableConnection(PortableConnections owner, object request, Socket socket, EndPoint? clientAddress, Stream stream, SslStream? tls)
    {
        _owner = owner;
        Request = request;
        Socket = socket;
        _clientAddress = clientAddress;
        _stream = stream;
        TlsStream = tls;
        Limits = owner.FindLimits(request);
        Stream counted = Counted(_stream);
        Input = PipeReader.Create(counted, new StreamPipeReaderOptions(leaveOpen: true));
        Output = CreateOutput(counted);
    }

    /// <inheritdoc/>
    public ConnectionState? Limits { get; }

    /// <summary>The request, as the server's hooks know it.</summary>
    public object Request { get; }

    /// <summary>The accepted socket.</summary>
    public Socket Socket { get; }

    /// <inheritdoc/>
    public PipeReader Input { get; private set; }

    /// <inheritdoc/>
    public PipeReader InputSeenByLimits() => LimitedPipeReader.Over(Input, Limits);

    /// <inheritdoc/>
    public PipeReader HelperInput => Input;

    /// <inheritdoc/>
    public PipeWriter Output { get; private set; }

    /// <inheritdoc/>
    public CancellationToken ConnectionClosed => _closed.Token;

    /// <inheritdoc/>
    public SslStream? TlsStream { get; private set; }

    /// <summary>Completes when the connection was shut down and closed.</summary>
    public Task Done => _done.Task;

    /// <inheritdoc/>
    public void HandlerCompleted(Exception? exception)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            _ = CompleteAsync(exception);
        }
    }

    /// <inheritdoc/>
    public ValueTask<PortableConnection> PrepareStartTlsAsync() => ValueTask.FromResult(this);

    /// <summary>
    /// STARTTLS, second step: the handshake over the socket (reading <paramref name="early"/> first, then what
    /// <see cref="CarryBytes"/> kept), then new pipes over the TLS stream in place of the plaintext ones. On failure
    /// the connection stays as it was, for the handler's end to close it.
    /// </summary>
    /// <param name="options">The TLS options.</param>
    /// <param name="early">The client's hello, or its start, already read.</param>
    /// <param name="diagnostics">Where the handshake's duration is recorded.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <exception cref="TlsHandshakeException">The handshake failed or timed out.</exception>
    /// <exception cref="IOException">The server stopped serving the connection during the handshake.</exception>
    public async ValueTask StartTlsAsync(TlsOptions options, byte[] early, Diagnostics.ServerDiagnostics? diagnostics, CancellationToken cancellationToken)
    {
        SslStream tls;
        using (var stopped = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token))
        {
            try
            {
                tls = await TlsUpgrade.HandshakeAsync(Socket, TlsUpgrade.Concat(early, _carried), options, _clientAddress, diagnostics, stopped.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (_closed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Stop cancels the token before it shuts the socket's receive side down: say the server stopped,
                // rather than report the end of stream the handshake would see as the client's failure.
                throw new IOException($"StartTlsAsync: the server stopped serving {_clientAddress} during the TLS handshake.", e);
            }
        }

        _carried = [];
        PipeReader plainInput = Input;
        PipeWriter plainOutput = Output;
        Stream plain = _stream;
        _stream = tls;
        TlsStream = tls;
        Stream counted = Counted(tls);
        Input = PipeReader.Create(counted, new StreamPipeReaderOptions(leaveOpen: true));
        Output = CreateOutput(counted);

        // The plaintext pipes hold nothing (the handler flushed, and its input was taken): done with; the socket stays.
        await plainOutput.CompleteAsync().ConfigureAwait(false);
        await plainInput.CompleteAsync().ConfigureAwait(false);
        await plain.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Keeps bytes read off the socket before it came here (by a reactor's loop), for the handshake to read first.</summary>
    public void CarryBytes(byte[] bytes) => _carried = bytes;

    /// <summary>Ends the connection because the server stops: the handler sees the end of its input.</summary>
    public void Stop()
    {
        _closed.Cancel();
        try
        {
            Socket.Shutdown(SocketShutdown.Receive);
        }
        catch (Exception e) when (SocketErrors.IsSocketLevel(e))
        {
        }
    }

    /// <summary>Closes the socket whatever the handler is doing (it did not end in time after <see cref="Stop"/>).</summary>
    public void Abort()
    {
        _closed.Cancel();
        Socket.Dispose();
    }

    /// <summary>The stream the pipes go over: <paramref name="stream"/>, with what moves counted in the server's totals.</summary>
    private Stream Counted(Stream stream) => Diagnostics.CountingStream.Over(stream, Limits?.Traffic);

    /// <summary>
    /// The pipe the handler writes to: under limits, one whose flushes are sends in progress for
    /// <see cref="ServerLimits.MinSendRate"/>, so a client that never reads cannot hold the handler for ever.
    /// </summary>
    private PipeWriter CreateOutput(Stream stream)
    {
        PipeWriter writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        return LimitedPipeWriter.Over(writer, Limits);
    }

    private async Task CompleteAsync(Exception? exception)
    {
        if (exception is not null)
        {
            _owner.ReportHandlerFailure(Request, _clientAddress, exception);
        }

        try
        {
            await Output.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (SocketErrors.IsSocketLevel(e))
        {
            // The peer is gone: what was left to send is lost, as it would be in Python.
        }

        try
        {
            await Output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (SocketErrors.IsSocketLevel(e))
        {
            // The same: the rest is lost; the connection must still be closed below.
        }

        await Input.CompleteAsync().ConfigureAwait(false);
        if (TlsStream is { } tls)
        {
            try
            {
                // close_notify, so the client sees a clean end rather than a truncation. A send like any other for
                // the send rate: a client that stopped reading cannot hold the connection open with it.
                Limits?.BeforeSend(64);
                try
                {
                    await tls.ShutdownAsync().ConfigureAwait(false);
                }
                finally
                {
                    Limits?.AfterSend();
                }
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or System.Security.Cryptography.CryptographicException || SocketErrors.IsSocketLevel(e))
            {
                // The client may be gone already, or OpenSSL refuses while the session is busy ("shutdown while in
                // init"): closing the socket ends the connection all the same.
            }
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        _owner.ConnectionClosed(this);
        _done.TrySetResult();
    }
}
