using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Limits;

namespace SocketServer.Internal.Async;

/// <summary>
/// A connection of the portable transport: pipes over a <see cref="NetworkStream"/> on the accepted socket. When the
/// handler completed, its output is flushed and the server's <c>ShutdownRequest</c> closes the socket.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The stream is disposed when the handler completes; the token source has no timer and may be cancelled after that, so it is never disposed.")]
internal sealed class PortableConnection : IAsyncConnection
{
    private readonly PortableServeSession _session;
    private readonly NetworkStream _stream;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly EndPoint? _clientAddress;
    private int _completed;

    /// <summary>Creates the pipes over <paramref name="socket"/>.</summary>
    public PortableConnection(PortableServeSession session, Socket socket, EndPoint? clientAddress)
    {
        _session = session;
        Socket = socket;
        _clientAddress = clientAddress;
        _stream = new NetworkStream(socket, ownsSocket: false);
        Input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        Output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));
        Limits = session.FindLimits(socket);
    }

    /// <inheritdoc/>
    public ConnectionState? Limits { get; }

    /// <summary>The accepted socket (the request).</summary>
    public Socket Socket { get; }

    /// <inheritdoc/>
    public PipeReader Input { get; }

    /// <inheritdoc/>
    public PipeWriter Output { get; }

    /// <inheritdoc/>
    public CancellationToken ConnectionClosed => _closed.Token;

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

    private async Task CompleteAsync(Exception? exception)
    {
        if (exception is not null)
        {
            _session.ReportHandlerFailure(Socket, _clientAddress, exception);
        }

        try
        {
            await Output.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (SocketErrors.IsSocketLevel(e))
        {
            // The peer is gone: what was left to send is lost, as it would be in Python.
        }

        await Output.CompleteAsync().ConfigureAwait(false);
        await Input.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _session.ConnectionClosed(this);
        _done.TrySetResult();
    }
}
