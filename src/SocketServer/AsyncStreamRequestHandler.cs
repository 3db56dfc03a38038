using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using SocketServer.Internal.Async;

namespace SocketServer;

/// <summary>
/// The async counterpart of <see cref="StreamRequestHandler"/>: a connection's bytes as a <see cref="PipeReader"/>
/// (<see cref="Input"/>) and a <see cref="PipeWriter"/> (<see cref="Output"/>), served by <see cref="SetupAsync"/>,
/// <see cref="HandleAsync"/> and <see cref="FinishAsync"/>, with helpers that read one line or one length-prefixed
/// frame without copying.
/// </summary>
/// <remarks>
/// <para>Under <see cref="BaseServer.ServeAsync"/> on Linux the handler runs on the server's event loop, with no
/// thread of its own: its code after an <c>await</c> on <see cref="Input"/> runs inline on the loop's thread, so it
/// must not block (no <c>Thread.Sleep</c>, no synchronous I/O, no <c>.Result</c>); a slow step belongs on the
/// thread pool (<c>await Task.Run(...)</c>). Flushing <see cref="Output"/> sends at the end of the loop's batch, one
/// system call for all the messages written; the flush waits while too much output is pending (back-pressure).</para>
/// <para>Under <see cref="BaseServer.ServeForever()"/>, <see cref="BaseServer.HandleRequest"/> and the threading or
/// forking servers, <see cref="BaseRequestHandler.Serve"/> gives the handler pipes over the socket and runs it to
/// completion on the request's thread, so one handler type works in every mode.</para>
/// <para>When the server has <see cref="TcpServer.Tls"/>, the pipes carry plaintext over TLS in every mode; see
/// <see cref="IsTls"/>.</para>
/// </remarks>
public partial class AsyncStreamRequestHandler : BaseRequestHandler
{
    /// <summary>The default longest line <see cref="ReadLineAsync"/> accepts, newline included: 64 KiB.</summary>
    public const int DefaultMaxLineLength = 64 * 1024;

    /// <summary>The default largest frame <see cref="ReadFrameAsync"/> accepts: 1 MiB.</summary>
    public const int DefaultMaxFrameLength = 1024 * 1024;

    private SequencePosition _pendingConsumed;
    private bool _hasPendingConsumed;

    /// <summary>What the client sent. <see cref="ReadResult.IsCompleted"/> marks its end of stream (it shut down sending).</summary>
    public PipeReader Input { get; private set; } = null!;

    /// <summary>What goes to the client; data leaves when flushed.</summary>
    public PipeWriter Output { get; private set; } = null!;

    /// <summary>Cancelled when the connection fails (reset by the peer, a failed send) or the server stops serving it.</summary>
    public CancellationToken ConnectionClosed { get; private set; }

    /// <summary>Runs before <see cref="HandleAsync"/>, as <see cref="BaseRequestHandler"/>'s Setup.</summary>
    /// <returns>A task that completes when set-up is done.</returns>
    protected virtual ValueTask SetupAsync() => default;

    /// <summary>Serves the connection. The default does nothing.</summary>
    /// <returns>A task that completes when the connection was served.</returns>
    protected virtual ValueTask HandleAsync() => default;

    /// <summary>Runs after <see cref="HandleAsync"/>, even when it threw, as <see cref="BaseRequestHandler"/>'s Finish.</summary>
    /// <returns>A task that completes when clean-up is done.</returns>
    protected virtual ValueTask FinishAsync() => default;

    /// <summary>
    /// Reads one line, up to and including <c>\n</c> (as Python's <c>readline()</c>), or the last bytes before the
    /// end of stream if they end without one; null at the end of stream. The line stays valid until the next call
    /// to a read helper, which consumes it.
    /// </summary>
    /// <param name="maxLength">The longest line accepted, newline included.</param>
    /// <returns>The line, or null at the end of stream.</returns>
    /// <exception cref="InvalidDataException">
    /// The line is longer than <paramref name="maxLength"/>: nothing of it is returned. The exception ends the handler;
    /// the server reports it with <see cref="BaseServer.HandleError"/>, closes this connection and serves the others.
    /// </exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOnlySequence<byte>?> ReadLineAsync(int maxLength = DefaultMaxLineLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        PipeReader input = Input;
        ConsumePending(input);
        while (true)
        {
            ReadResult result = await input.ReadAsync().ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            switch (Framing.TryReadLine(buffer, maxLength, out ReadOnlySequence<byte> line))
            {
                case Framing.Outcome.Complete:
                    SetPending(line.End);
                    return line;
                case Framing.Outcome.TooLong:
                    input.AdvanceTo(buffer.Start);
                    throw new InvalidDataException($"The client sent a line longer than {maxLength} bytes (the limit, newline included); the connection is closed.");
            }

            if (result.IsCompleted)
            {
                if (buffer.IsEmpty)
                {
                    input.AdvanceTo(buffer.End);
                    return null;
                }

                SetPending(buffer.End);
                return buffer;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// Reads one frame: a 4-byte big-endian length, then that many bytes (the payload, returned); null at the end of
    /// stream between frames. The payload stays valid until the next call to a read helper, which consumes it.
    /// </summary>
    /// <param name="maxLength">The largest payload accepted.</param>
    /// <returns>The payload, or null at the end of stream.</returns>
    /// <exception cref="InvalidDataException">The frame is larger than <paramref name="maxLength"/>, or the stream ended inside a frame.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOnlySequence<byte>?> ReadFrameAsync(int maxLength = DefaultMaxFrameLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        PipeReader input = Input;
        ConsumePending(input);
        while (true)
        {
            ReadResult result = await input.ReadAsync().ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            switch (Framing.TryReadFrame(buffer, maxLength, out ReadOnlySequence<byte> frame, out SequencePosition consumed))
            {
                case Framing.Outcome.Complete:
                    SetPending(consumed);
                    return frame;
                case Framing.Outcome.TooLong:
                    input.AdvanceTo(buffer.Start);
                    throw new InvalidDataException($"The client announced a frame larger than {maxLength} bytes (the limit); the connection is closed.");
            }

            if (result.IsCompleted)
            {
                input.AdvanceTo(buffer.End);
                return buffer.IsEmpty
                    ? null
                    : throw new InvalidDataException($"The client's stream ended inside a frame ({buffer.Length} bytes of it received).");
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Sealed: an async handler sets up in <see cref="SetupAsync"/>.</summary>
    protected sealed override void Setup()
    {
    }

    /// <summary>
    /// Runs the async handler: on the reactor's connection when started by <see cref="BaseServer.ServeAsync"/>
    /// (returning at once; the server closes the connection when the handler completes), otherwise to completion on
    /// this thread over pipes on the request's socket.
    /// </summary>
    protected sealed override void Handle()
    {
        if (AmbientRequest.Connection is { } connection)
        {
            AmbientRequest.Connection = null;
            Input = connection.Input;
            Output = connection.Output;
            ConnectionClosed = connection.ConnectionClosed;
            TlsStream = connection.TlsStream;
            StartOnConnection(connection);
            return;
        }

        if (Request is not Socket socket)
        {
            throw new InvalidOperationException($"{GetType().Name} serves stream sockets; this request is a {Request.GetType().Name}.");
        }

        using Stream stream = OpenStream(socket);
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        ConnectionClosed = CancellationToken.None;
        try
        {
            RunOverStreamAsync().AsTask().GetAwaiter().GetResult();
        }
        finally
        {
            SendCloseNotify();
        }
    }

    /// <summary>Sealed: an async handler cleans up in <see cref="FinishAsync"/>.</summary>
    protected sealed override void Finish()
    {
    }

    private async ValueTask RunOverStreamAsync()
    {
        try
        {
            await RunAsync().ConfigureAwait(false);
            await Output.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            await Input.CompleteAsync().ConfigureAwait(false);
            await Output.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async void StartOnConnection(IAsyncConnection connection)
    {
        // async void on purpose: every exception is caught and handed to the connection, which reports it.
        // RunAsync written out here: one state machine per connection instead of two (idle connections keep it).
        Exception? failure = null;
        try
        {
            await SetupAsync().ConfigureAwait(false);
            try
            {
                await HandleAsync().ConfigureAwait(false);
            }
            finally
            {
                await FinishAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            failure = e;
        }

        connection.HandlerCompleted(failure);
    }

    private async ValueTask RunAsync()
    {
        await SetupAsync().ConfigureAwait(false);
        try
        {
            await HandleAsync().ConfigureAwait(false);
        }
        finally
        {
            await FinishAsync().ConfigureAwait(false);
        }
    }

    private void ConsumePending(PipeReader input)
    {
        if (_hasPendingConsumed)
        {
            _hasPendingConsumed = false;
            input.AdvanceTo(_pendingConsumed);
        }
    }

    private void SetPending(SequencePosition consumed)
    {
        _pendingConsumed = consumed;
        _hasPendingConsumed = true;
    }
}
