using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using SocketServer.Internal.Async;
using SocketServer.Internal.Limits;

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
/// thread pool (<c>await Task.Run(...)</c>). Flushing <see cref="Output"/> sends once the handler's code run by the
/// arrival of data yields (it awaits again), one system call for all the messages written meanwhile; the flush waits
/// while too much output is pending (back-pressure).</para>
/// <para>Under <see cref="BaseServer.ServeForever()"/>, <see cref="BaseServer.HandleRequest"/> and the threading or
/// forking servers, <see cref="BaseRequestHandler.Serve"/> gives the handler pipes over the socket and runs it to
/// completion on the request's thread, so one handler type works in every mode.</para>
/// <para>When the server has <see cref="TcpServer.Tls"/>, the pipes carry plaintext over TLS in every mode; see
/// <see cref="IsTls"/>. A plaintext connection can be upgraded from the handler with <see cref="StartTlsAsync"/>
/// (STARTTLS).</para>
/// </remarks>
public partial class AsyncStreamRequestHandler : BaseRequestHandler
{
    /// <summary>The default longest line <see cref="ReadLineAsync"/> accepts, newline included: 64 KiB.</summary>
    public const int DefaultMaxLineLength = 64 * 1024;

    /// <summary>The default largest frame <see cref="ReadFrameAsync"/> accepts: 1 MiB.</summary>
    public const int DefaultMaxFrameLength = 1024 * 1024;

    private SequencePosition _pendingConsumed;
    private bool _hasPendingConsumed;
    private ConnectionState? _limits;
    private IAsyncConnection? _connection;
    private Socket? _requestSocket;
    private Task? _handling;
    private ExecutionContext? _handlingContext;
    private Action? _afterHandling;

    /// <summary>What the client sent. <see cref="ReadResult.IsCompleted"/> marks its end of stream (it shut down sending).</summary>
    /// <remarks>
    /// Under <see cref="BaseServer.ServeAsync"/> with the server's <see cref="ServerLimits"/>, a <c>ReadAsync</c> that
    /// waits counts as a receive, as the read helpers' do: the idle timeout, the first-unit deadline (each read that
    /// returns bytes is one unit) and a drain apply to a handler that reads <see cref="Input"/> itself.
    /// </remarks>
    public PipeReader Input { get; private set; } = null!;

    /// <summary>What goes to the client; data leaves when flushed.</summary>
    public PipeWriter Output { get; private set; } = null!;

    /// <summary>Cancelled when the connection fails (reset by the peer, a failed send) or the server stops serving it.</summary>
    /// <remarks>
    /// Read from the connection on first use: a connection whose handler never asks pays nothing for it (on the
    /// reactor the token's source is created then).
    /// </remarks>
    public CancellationToken ConnectionClosed => _connection?.ConnectionClosed ?? CancellationToken.None;

    /// <summary>
    /// The connection's reader as the handler's <see cref="Input"/>: under limits, wrapped so that a handler reading it
    /// itself is seen by them too (the read helpers use the inner reader, see <see cref="HelperInput"/>).
    /// </summary>
    private PipeReader SeenByLimits(PipeReader reader) => LimitedPipeReader.Over(reader, _limits);

    /// <summary>Under limits, a writer whose stuck flushes are sends in progress for <see cref="ServerLimits.MinSendRate"/>.</summary>
    private PipeWriter LimitedOutput(PipeWriter writer) => LimitedPipeWriter.Over(writer, _limits);

    /// <summary>What the read helpers read: <see cref="Input"/> without the limits' wrapper, since they track their reads themselves.</summary>
    private PipeReader HelperInput => _connection?.HelperInput ?? (Input is LimitedPipeReader limited ? limited.Inner : Input);

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
    /// <param name="maxLength">
    /// The longest line accepted, newline included. Left at <see cref="DefaultMaxLineLength"/> under
    /// <see cref="BaseServer.ServeAsync"/>, the server's <see cref="ServerLimits.MaxLineLength"/> applies instead when
    /// it has one, and a longer line throws <see cref="ConnectionLimitException"/> (counted, not passed to
    /// <see cref="BaseServer.HandleError"/>).
    /// </param>
    /// <returns>The line, or null at the end of stream (or when a drain closed this idle connection).</returns>
    /// <exception cref="InvalidDataException">
    /// The line is longer than <paramref name="maxLength"/>: nothing of it is returned. The exception ends the handler;
    /// the server reports it with <see cref="BaseServer.HandleError"/>, closes this connection and serves the others.
    /// </exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOnlySequence<byte>?> ReadLineAsync(int maxLength = DefaultMaxLineLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        ConnectionState? limits = _limits;
        // The server's cap applies in every mode (in a forking worker, which tracks no connection, from its settings).
        int? serverLineCap = limits is not null ? limits.MaxLineLength : Server?.Limits.MaxLineLength;
        bool serverCap = maxLength == DefaultMaxLineLength && serverLineCap is not null;
        if (serverCap)
        {
            maxLength = serverLineCap!.Value;
        }

        PipeReader input = HelperInput;
        ConsumePending(input);
        long seen = 0;
        while (true)
        {
            ReadResult? read = await ReadTrackedAsync(input, limits, seen).ConfigureAwait(false);
            if (read is not { } result)
            {
                return null;
            }

            ReadOnlySequence<byte> buffer = result.Buffer;
            switch (Framing.TryReadLine(buffer, maxLength, out ReadOnlySequence<byte> line))
            {
                case Framing.Outcome.Complete:
                    limits?.UnitCompleted();
                    SetPending(line.End);
                    return line;
                case Framing.Outcome.TooLong:
                    input.AdvanceTo(buffer.Start);
                    throw serverCap
                        ? limits?.LineTooLong(maxLength) ?? ConnectionLimitException.LineTooLong(maxLength)
                        : Internal.Diagnostics.RefusedInput.Create($"The client sent a line longer than {maxLength} bytes (the limit, newline included); the connection is closed.");
            }

            if (result.IsCompleted)
            {
                limits?.UnitCompleted();
                if (buffer.IsEmpty)
                {
                    input.AdvanceTo(buffer.End);
                    return null;
                }

                SetPending(buffer.End);
                return buffer;
            }

            seen = buffer.Length;
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
        ConnectionState? limits = _limits;
        PipeReader input = HelperInput;
        ConsumePending(input);
        long seen = 0;
        while (true)
        {
            ReadResult? read = await ReadTrackedAsync(input, limits, seen).ConfigureAwait(false);
            if (read is not { } result)
            {
                return null;
            }

            ReadOnlySequence<byte> buffer = result.Buffer;
            switch (Framing.TryReadFrame(buffer, maxLength, out ReadOnlySequence<byte> frame, out SequencePosition consumed))
            {
                case Framing.Outcome.Complete:
                    limits?.UnitCompleted();
                    SetPending(consumed);
                    return frame;
                case Framing.Outcome.TooLong:
                    input.AdvanceTo(buffer.Start);
                    throw Internal.Diagnostics.RefusedInput.Create($"The client announced a frame larger than {maxLength} bytes (the limit); the connection is closed.");
            }

            if (result.IsCompleted)
            {
                input.AdvanceTo(buffer.End);
                return buffer.IsEmpty
                    ? null
                    : throw Internal.Diagnostics.RefusedInput.Create($"The client's stream ended inside a frame ({buffer.Length} bytes of it received).");
            }

            seen = buffer.Length;
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
        if (Prepared?.TakeConnection() is { } connection)
        {
            // The hand-off is done with: not kept for the connection's life (it was 56 B of every idle connection).
            Prepared = null;
            _limits = connection.Limits;
            Input = connection.InputSeenByLimits();
            Output = connection.Output;
            TlsStream = connection.TlsStream;
            _connection = connection;
            StartOnConnection();
            return;
        }

        if (Request is not Socket socket)
        {
            throw new InvalidOperationException($"{GetType().Name} serves stream sockets; this request is a {Request.GetType().Name}.");
        }

        _requestSocket = socket;
        // On the request's thread the connection is seen by the same limits as under ServeAsync: the state the server
        // admitted it with (none in a forking worker, where only the line cap applies).
        _limits = Server.FindConnection(RequestKey);
        using Stream stream = OpenStream(socket);
        Stream counted = Internal.Diagnostics.CountingStream.Over(stream, Server.Diagnostics.Traffic);
        Input = SeenByLimits(PipeReader.Create(counted, new StreamPipeReaderOptions(leaveOpen: true)));
        Output = LimitedOutput(PipeWriter.Create(counted, new StreamPipeWriterOptions(leaveOpen: true)));
        try
        {
            RunOverStreamAsync().AsTask().GetAwaiter().GetResult();
        }
        finally
        {
            SendCloseNotify();
            if (!ReferenceEquals(TlsStream, stream))
            {
                // Started by StartTlsAsync: the TLS stream is this handler's (it never owns the socket).
                TlsStream?.Dispose();
            }
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

    // The run on a reactor connection (SetupAsync, HandleAsync, FinishAsync, then the connection is told) is written
    // out as steps instead of one async method: while HandleAsync waits, an idle connection keeps this continuation
    // (a 64 B delegate) and the pending task rather than a second state machine (144 B) beside the handler's own.
    // Every exception ends up in HandlerCompleted, as an async method's catch would put it; an asynchronous
    // SetupAsync or FinishAsync (rare) is awaited by a small async method. FinishAsync runs in the execution context
    // an await would have restored (captured by hand: a flowing OnCompleted would allocate 40 B more per connection).
    private void StartOnConnection()
    {
        // As an async method's start: what the steps change in the execution context (an AsyncLocal a synchronous
        // SetupAsync sets) stays with this run, not with the thread that started it (a loop's, serving others).
        if (ExecutionContext.Capture() is { } context)
        {
            ExecutionContext.Run(context, static handler => ((AsyncStreamRequestHandler)handler!).SetupOnConnection(), this);
        }
        else
        {
            SetupOnConnection();
        }
    }

    private void SetupOnConnection()
    {
        ValueTask setup;
        try
        {
            setup = SetupAsync();
        }
        catch (Exception e)
        {
            HandleOnConnection(e);
            return;
        }

        if (setup.IsCompleted)
        {
            HandleOnConnection(FailureOf(setup));
        }
        else
        {
            HandleAfterSetupAsync(setup);
        }
    }

    private async void HandleAfterSetupAsync(ValueTask setup)
    {
        // async void on purpose: the setup's exception is handed on, as every other one.
        Exception? failure = null;
        try
        {
            await setup.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
        }

        HandleOnConnection(failure);
    }

    /// <summary>Runs <see cref="HandleAsync"/> once the setup completed, unless it failed with <paramref name="setupFailure"/>.</summary>
    private void HandleOnConnection(Exception? setupFailure)
    {
        if (setupFailure is not null)
        {
            _connection!.HandlerCompleted(setupFailure);
            return;
        }

        ValueTask handling;
        try
        {
            handling = HandleAsync();
        }
        catch (Exception e)
        {
            FinishOnConnection(e);
            return;
        }

        if (handling.IsCompleted)
        {
            FinishOnConnection(FailureOf(handling));
            return;
        }

        // A task-backed ValueTask (an async HandleAsync's) gives its task without allocating.
        Task task = handling.AsTask();
        _handling = task;
        _handlingContext = ExecutionContext.Capture();
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_afterHandling ??= AfterHandling);
    }

    private void AfterHandling()
    {
        ExecutionContext? context = _handlingContext;
        _handlingContext = null;
        if (context is null)
        {
            // The flow was suppressed when the handling began: nothing to restore.
            FinishAfterHandling();
        }
        else
        {
            ExecutionContext.Run(context, static handler => ((AsyncStreamRequestHandler)handler!).FinishAfterHandling(), this);
        }
    }

    private void FinishAfterHandling()
    {
        Task handling = _handling!;
        _handling = null;
        FinishOnConnection(FailureOf(new ValueTask(handling)));
    }

    /// <summary>Runs <see cref="FinishAsync"/> whatever the handling did; its exception, if any, replaces the handling's.</summary>
    private void FinishOnConnection(Exception? failure)
    {
        ValueTask finish;
        try
        {
            finish = FinishAsync();
        }
        catch (Exception e)
        {
            _connection!.HandlerCompleted(e);
            return;
        }

        if (finish.IsCompleted)
        {
            _connection!.HandlerCompleted(FailureOf(finish) ?? failure);
        }
        else
        {
            CompleteAfterFinishAsync(finish, failure);
        }
    }

    private async void CompleteAfterFinishAsync(ValueTask finish, Exception? failure)
    {
        // async void on purpose, as HandleAfterSetupAsync.
        try
        {
            await finish.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
        }

        _connection!.HandlerCompleted(failure);
    }

    /// <summary>The exception a completed <paramref name="task"/> ended with (its result taken, once), or null.</summary>
    private static Exception? FailureOf(ValueTask task)
    {
        try
        {
            task.GetAwaiter().GetResult();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
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

    /// <summary>
    /// One read of whatever has arrived, as <see cref="Input"/>'s <c>ReadAsync</c>, but seen by the server's limits
    /// (a read's bytes complete a unit, as a <c>recv</c> does on the faithful path). Null: the server is draining and
    /// the connection is idle (treat it as the end of the stream). The caller advances <see cref="Input"/> as usual.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<ReadResult?> ReadAvailableAsync()
    {
        ConnectionState? limits = _limits;
        ReadResult? result = await ReadTrackedAsync(HelperInput, limits, 0).ConfigureAwait(false);
        if (result is { Buffer.IsEmpty: false })
        {
            limits?.UnitCompleted();
        }

        return result;
    }

    /// <summary>
    /// One read of a read helper, seen by the server's limits when it admitted the connection (idle and first-unit
    /// deadlines, the receive rate, the drain): what is already buffered at the start of a unit is taken without
    /// waiting; otherwise the wait is marked as such. Null: the server is draining and this connection is idle, so
    /// the helper reports the end of the stream.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<ReadResult?> ReadTrackedAsync(PipeReader input, ConnectionState? limits, long seen)
    {
        if (limits is null)
        {
            return await input.ReadAsync().ConfigureAwait(false);
        }

        if (seen == 0 && input.TryRead(out ReadResult buffered))
        {
            return buffered;
        }

        if (!limits.BeforeReceive((int)Math.Min(seen, int.MaxValue)))
        {
            return null;
        }

        ReadResult result = await input.ReadAsync().ConfigureAwait(false);
        limits.AfterReceive((int)Math.Min(result.Buffer.Length - seen, int.MaxValue));
        return result;
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
