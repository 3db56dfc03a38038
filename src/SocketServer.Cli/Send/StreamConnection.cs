using System.Net.Sockets;

namespace SocketServer.Cli.Send;

/// <summary>
/// One connection of <c>send</c> to a stream server: what the server sends is copied to standard output as it comes,
/// by a reader of its own, while lines are sent; the sending side can be shut down (half-close) while the replies are
/// still read.
/// </summary>
internal sealed class StreamConnection : IAsyncDisposable
{
    /// <summary>How long connecting and the TLS handshake may take together.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly Stream _output;
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly Task _reader;
    private long _received;
    private volatile bool _endsWithNewline;
    private volatile bool _ended;
    private volatile Exception? _failure;

    private StreamConnection(Socket socket, Stream stream, Stream output)
    {
        _socket = socket;
        _stream = stream;
        _output = output;
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>The bytes received so far.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Whether the server ended the connection (or it failed): nothing more will be received.</summary>
    public bool Ended => _ended;

    /// <summary>Why reading failed (a reset), or null when the server closed cleanly or has not closed.</summary>
    public Exception? Failure => _failure;

    /// <summary>Connects, and runs the TLS handshake when <paramref name="tls"/> is given, within <see cref="ConnectTimeout"/>.</summary>
    /// <param name="target">The server.</param>
    /// <param name="tls">The TLS client, or null for plaintext.</param>
    /// <param name="output">Where the replies go: standard output.</param>
    /// <param name="cancellationToken">Cancelled by a signal.</param>
    /// <returns>The open connection.</returns>
    /// <exception cref="SocketException">The connection could not be made.</exception>
    /// <exception cref="OperationCanceledException">The time ran out (or a signal came: see the token).</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The TLS handshake failed; the message says why.</exception>
    public static async Task<StreamConnection> OpenAsync(SendTarget target, TlsClient? tls, Stream output, CancellationToken cancellationToken)
    {
        Socket socket = target.CreateSocket();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ConnectTimeout);
            await socket.ConnectAsync(target.EndPoint, timeout.Token).ConfigureAwait(false);
            Stream stream = new NetworkStream(socket, ownsSocket: false);
            if (tls is not null)
            {
                stream = await tls.AuthenticateAsync(stream, target, timeout.Token).ConfigureAwait(false);
            }

            return new StreamConnection(socket, stream, output);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="line"/> whole.</summary>
    /// <param name="line">The bytes.</param>
    /// <param name="cancellationToken">Cancelled by a signal.</param>
    /// <returns>A task that completes when the line was handed to the connection.</returns>
    /// <exception cref="IOException">The connection failed, or the server had closed it.</exception>
    public async Task SendAsync(byte[] line, CancellationToken cancellationToken) =>
        await _stream.WriteAsync(line, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Ends the sending side: TLS close_notify, then a TCP FIN, so that a server reading to the end of the stream (echo)
    /// sees the end and closes, while the replies still in flight are read.
    /// </summary>
    /// <returns>A task that completes when the end was sent.</returns>
    public async Task HalfCloseAsync()
    {
        try
        {
            if (_stream is SerializedTlsStream tls)
            {
                await SendCloseNotifyAsync(tls).ConfigureAwait(false);
            }

            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The server has gone already; the reader says how.
        }
    }

    /// <summary>
    /// Sends TLS close_notify, best effort: OpenSSL refuses while the session is still busy with post-handshake
    /// messages ("shutdown while in init", a CryptographicException), or fails with its own internal exception type
    /// (seen once in 150 sends to a local server: "Operation failed with error - 5", which escaped and ended the
    /// process with a stack trace); the socket's own half-close that follows tells the server all the same.
    /// </summary>
    private static async Task SendCloseNotifyAsync(SerializedTlsStream tls)
    {
        try
        {
            await tls.ShutdownAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // Whatever OpenSSL says here changes nothing: the FIN follows, and the reader reports how the server ended.
        }
    }

    /// <summary>Waits until the server closes the connection, or nothing has come for <paramref name="idle"/>.</summary>
    /// <param name="idle">How long to wait for more after the last bytes (<c>--wait</c>).</param>
    /// <param name="cancellationToken">Cancelled by a signal.</param>
    /// <returns>Whether the server closed (or the connection failed); false when the wait ran out.</returns>
    public async Task<bool> WaitForEndAsync(TimeSpan idle, CancellationToken cancellationToken)
    {
        while (!_ended)
        {
            if (!await _arrived.WaitAsync(idle, cancellationToken).ConfigureAwait(false))
            {
                return _ended;
            }
        }

        return true;
    }

    /// <summary>
    /// At a terminal: waits for the answer to the line just sent, before the next prompt: until bytes that end a line
    /// have come since <paramref name="receivedBefore"/>, the server closes, or <paramref name="wait"/> passes.
    /// </summary>
    /// <param name="receivedBefore"><see cref="Received"/> before the line was sent.</param>
    /// <param name="wait">The longest wait (<c>--wait</c>).</param>
    /// <param name="cancellationToken">Cancelled by a signal.</param>
    /// <returns>A task that completes when the prompt may follow.</returns>
    public async Task WaitForReplyAsync(long receivedBefore, TimeSpan wait, CancellationToken cancellationToken)
    {
        long deadline = Environment.TickCount64 + (long)wait.TotalMilliseconds;
        while (!_ended && !(Received > receivedBefore && _endsWithNewline))
        {
            long remaining = deadline - Environment.TickCount64;
            if (remaining <= 0)
            {
                return;
            }

            await _arrived.WaitAsync(TimeSpan.FromMilliseconds(remaining), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Closes the connection and waits for its reader.</summary>
    /// <returns>A task that completes when everything is released.</returns>
    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _reader.ConfigureAwait(false);
        _arrived.Dispose();
    }

    private async Task ReadAsync()
    {
        byte[] buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await _stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                // Printed before it is counted, so that a prompt waiting for the reply follows it.
                bool copied = await CopyAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
                _endsWithNewline = buffer[read - 1] == (byte)'\n';
                Interlocked.Add(ref _received, read);
                _arrived.Release();
                if (!copied)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            _failure = e;
        }
        finally
        {
            _ended = true;
            _arrived.Release();
        }
    }

    // Written as it comes, and flushed: a person at a terminal sees each reply at once. The copy awaits the output,
    // so a slow reader of standard output slows the connection down rather than filling memory.
    private async Task<bool> CopyAsync(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            await _output.WriteAsync(bytes).ConfigureAwait(false);
            await _output.FlushAsync().ConfigureAwait(false);
            return true;
        }
        catch (IOException)
        {
            // Standard output was closed (send ... | head -1): nobody reads the replies any more.
            return false;
        }
    }
}
