using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SocketServer.Internal.Async;
using SocketServer.Internal.Diagnostics;
using SocketServer.Internal.Limits;
using SocketServer.Internal.Reactor;

namespace SocketServer.Internal.IoUring;

/// <summary>
/// An accepted stream connection served by an <see cref="AsyncStreamRequestHandler"/> on an <see cref="IoUringLoop"/>:
/// the same pipes, thresholds and handler semantics as the epoll reactor's connection, over completions instead of
/// readiness. One multishot receive stays armed while the handler wants input; each of its completions is copied
/// from the provided buffer into the input pipe (the handler runs inline, as on epoll), and what the handler flushed
/// meanwhile is prepared as one send (<c>IORING_OP_SEND</c>, or <c>SENDMSG</c> over the pipe's segments) that goes
/// out with the loop's next <c>io_uring_enter</c>.
/// </summary>
/// <remarks>
/// <para>One send in flight at a time, so bytes leave in order; its buffers stay pinned in the output pipe (not yet
/// advanced past) until its completion, and more written meanwhile goes with the next send. A partial send continues
/// from where it stopped. Back-pressure as on epoll: at the input pipe's threshold the receive is cancelled and armed
/// again when the handler caught up; the output pipe's threshold holds the handler's flush.</para>
/// <para>Closing: once the handler ended and its output was sent, the receive is cancelled, the slot freed (late
/// completions are dropped) and the server's <c>ShutdownRequest</c> shuts the socket down and closes it; the kernel
/// lets go of the file when the cancelled receive completes.</para>
/// </remarks>
internal sealed unsafe class IoUringConnection : IIoUringHandler, IReactorWork, IAsyncConnection, IOutputFlushScheduler
{
    private const byte ReceiveKind = 8;
    private const byte SendKind = 9;

    // struct msghdr on 64-bit Linux: name, namelen (+pad), iov, iovlen, control, controllen, flags (+pad).
    private const int MessageHeaderSize = 56;

    private readonly IoUringServeSession _session;
    private readonly Socket _socket;
    private readonly EndPoint? _clientAddress;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly IoUringOutputWriter _outputWriter;
    private CancellationTokenSource? _closedSource;
    private Action? _onInputFlushed;
    private ValueTask<FlushResult> _pendingInputFlush;
    private ReadOnlySequence<byte> _sending;
    private MemoryHandle _sendHandle;
    private MemoryHandle[]? _sendHandles;
    private byte* _sendMessage;
    private int _sendHandleCount;
    private long _sendLength;
    private bool _sendCompletesOutput;
    private bool _sendInFlight;
    private bool _finalSends;
    private long _registration;
    private bool _registered;
    private bool _receiveArmed;
    private bool _receiveCancelling;
    private bool _readPaused;
    private bool _readEnded;
    private bool _reading;
    private bool _unflushedInput;
    private bool _outputFinished;
    private bool _handlerDone;
    private bool _closed;
    private bool _closeWhenFinished;
    private Exception? _handlerFailure;
    private StartTlsMove? _handoff;
    private StartTlsMove? _handoffAwaitingReceive;
    private int _flushRequested;
    private int _resumeRequested;
    private int _aborted;

    /// <summary>Creates the connection for an accepted, non-blocking socket; <see cref="Start"/> arms its receive.</summary>
    public IoUringConnection(IoUringServeSession session, IoUringLoop loop, Socket socket, EndPoint? clientAddress)
    {
        _session = session;
        Loop = loop;
        _socket = socket;
        Fd = (int)socket.Handle;
        _clientAddress = clientAddress;
        _input = new Pipe(loop.InputPipeOptions ??= CreatePipeOptions(loop.MemoryPool, ReactorConnection.InputPauseThreshold));
        _output = new Pipe(loop.OutputPipeOptions ??= CreatePipeOptions(loop.MemoryPool, ReactorConnection.OutputPauseThreshold));
        _outputWriter = new IoUringOutputWriter(_output.Writer, this);
        Limits = session.FindLimits(socket);
        Traffic = Limits?.Traffic;
    }

    /// <summary>The loop this connection belongs to.</summary>
    public IoUringLoop Loop { get; }

    /// <summary>The socket's descriptor.</summary>
    public int Fd { get; }

    /// <summary>The request as the server's hooks know it: the accepted socket.</summary>
    public Socket Socket => _socket;

    /// <inheritdoc/>
    public PipeReader Input => _input.Reader;

    /// <inheritdoc/>
    public PipeWriter Output => _outputWriter;

    /// <inheritdoc/>
    public ConnectionState? Limits { get; }

    /// <inheritdoc/>
    /// <remarks>Always null: TLS connections are served off the loops, as on the epoll reactor.</remarks>
    public SslStream? TlsStream => null;

    /// <inheritdoc/>
    public CancellationToken ConnectionClosed
    {
        get
        {
            if (_closedSource is null)
            {
                CancellationTokenSource source = new();
                if (Interlocked.CompareExchange(ref _closedSource, source, null) is not null)
                {
                    source.Dispose();
                }
                else if (Volatile.Read(ref _aborted) != 0)
                {
                    source.Cancel();
                }
            }

            return _closedSource!.Token;
        }
    }

    /// <summary>True while receiving is stopped because the application does not consume its input (back-pressure). Loop thread.</summary>
    public bool IsReadPaused => _readPaused;

    private TrafficTotals? Traffic { get; }

    /// <summary>Takes a slot on the loop and arms the multishot receive. Loop thread.</summary>
    public void Start()
    {
        _registration = Loop.Register(this);
        _registered = true;
        ArmReceive();
    }

    /// <inheritdoc/>
    public void OnCompletion(byte kind, int result, uint flags, byte* buffer)
    {
        if (kind == ReceiveKind)
        {
            OnReceived(result, flags, buffer);
        }
        else if (kind == SendKind)
        {
            OnSent(result);
        }
    }

    /// <inheritdoc/>
    public void ScheduleFlush()
    {
        if (Interlocked.Exchange(ref _flushRequested, 1) == 0)
        {
            if (Loop.IsOnLoopThread)
            {
                if (_reading)
                {
                    // Our own receive is running the application inline: it flushes when it returns.
                    return;
                }

                Loop.RunAtEndOfBatch(this);
            }
            else
            {
                Loop.Post(this);
            }
        }
    }

    /// <inheritdoc/>
    public void Execute()
    {
        if (Interlocked.Exchange(ref _resumeRequested, 0) != 0)
        {
            FlushResult flushed = _pendingInputFlush.GetAwaiter().GetResult();
            _pendingInputFlush = default;
            _readPaused = false;
            if (flushed.IsCompleted)
            {
                _readEnded = true;
                StopReceiving();
            }
            else if (_unflushedInput && !_readEnded)
            {
                FlushInput();
            }

            if (!_receiveArmed && CanReceive)
            {
                ArmReceive();
            }
        }

        if (Interlocked.Exchange(ref _flushRequested, 0) != 0)
        {
            FlushOutput();
        }
    }

    /// <summary>
    /// A send prepared in the loop's last turn is still in flight after that turn's completions: the socket did not
    /// take it at once, so the client is not reading fast enough (<see cref="ServerLimits.MinSendRate"/> starts
    /// counting). Loop thread.
    /// </summary>
    public void CheckSendStalled()
    {
        if (_sendInFlight && Limits is { EndedByLimit: false, IsWriting: false } limits)
        {
            limits.BeforeSend((int)Math.Min(_sendLength, int.MaxValue));
        }
    }

    /// <inheritdoc/>
    public void HandlerCompleted(Exception? exception)
    {
        if (Loop.IsOnLoopThread)
        {
            OnHandlerCompleted(exception);
        }
        else
        {
            _handlerFailure = exception;
            Loop.Post(new CompletionWork(this));
        }
    }

    /// <inheritdoc/>
    /// <remarks>As on the epoll reactor: the socket, once what the handler wrote was sent and the receive stopped, goes to the portable TLS connections.</remarks>
    public ValueTask<PortableConnection> PrepareStartTlsAsync()
    {
        var move = new StartTlsMove(this);
        Loop.Post(move);
        return new ValueTask<PortableConnection>(move.Moved);
    }

    /// <summary>
    /// Ends the connection because the server stops: the handler sees the end of input and a cancelled
    /// <see cref="ConnectionClosed"/>, what it wrote is sent if the socket takes it at once (a send in flight is
    /// cancelled), then the connection closes. Loop thread.
    /// </summary>
    public void Stop()
    {
        Abort();
        if (_outputFinished)
        {
            Close();
        }
        else
        {
            _closeWhenFinished = true;
        }
    }

    private bool CanReceive => !_readEnded && !_readPaused && !_closed && _handoffAwaitingReceive is null;

    private static PipeOptions CreatePipeOptions(PinnedBlockMemoryPool pool, long pauseThreshold) => new(
        pool: pool,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: pauseThreshold,
        resumeWriterThreshold: pauseThreshold / 2,
        minimumSegmentSize: PinnedBlockMemoryPool.BlockSize,
        useSynchronizationContext: false);

    private void ArmReceive()
    {
        byte* sqe = Loop.Prepare(IoUringNative.OpRecv, Fd, 0, 0, IoUringLoop.UserData(_registration, ReceiveKind));
        IoUringRing.SetFlags(sqe, IoUringNative.SqeBufferSelect);
        IoUringRing.SetIoPriority(sqe, IoUringNative.RecvMultishot);
        IoUringRing.SetBufferGroup(sqe, IoUringLoop.ReceiveBufferGroup);
        _receiveArmed = true;
        _receiveCancelling = false;
    }

    private void StopReceiving()
    {
        if (_receiveArmed && !_receiveCancelling && _registered)
        {
            _receiveCancelling = true;
            Loop.Cancel(IoUringLoop.UserData(_registration, ReceiveKind));
        }
    }

    private void OnReceived(int result, uint flags, byte* buffer)
    {
        if ((flags & IoUringNative.CqeMore) == 0)
        {
            _receiveArmed = false;
            _receiveCancelling = false;
        }

        if (result > 0)
        {
            if (buffer is not null && !_readEnded && !_closed)
            {
                Deliver(buffer, result);
            }
        }
        else if (result == 0)
        {
            EndInput(null);
        }
        else if (result != -IoUringNative.ENoBufs && result != -IoUringNative.ECanceled)
        {
            // ENOBUFS: the buffer ring ran dry; buffers came back with this batch, so the receive is armed again.
            CancelClosedToken();
            EndInput(ReactorErrors.IOException("recv", -result));
        }

        if (_receiveArmed)
        {
            return;
        }

        if (_handoffAwaitingReceive is { } move)
        {
            _handoffAwaitingReceive = null;
            MoveOffLoop(move);
        }
        else if (CanReceive)
        {
            ArmReceive();
        }
    }

    /// <summary>
    /// Copies what arrived into the input pipe, where the handler's continuation runs inline, then prepares the send
    /// of whatever the handler flushed meanwhile: the replies to one completion leave in one send.
    /// </summary>
    private void Deliver(byte* buffer, int length)
    {
        Traffic?.Received(length);
        _input.Writer.Write(new ReadOnlySpan<byte>(buffer, length));
        if (_readPaused)
        {
            // Arrived while the cancelled receive was still completing: kept, and flushed when reading resumes.
            _unflushedInput = true;
            return;
        }

        FlushInput();
    }

    private void FlushInput()
    {
        _unflushedInput = false;
        PipeWriter writer = _input.Writer;
        _reading = true;
        try
        {
            // CA2012: kept in a field when pending, and its result observed exactly once (here or in Execute).
#pragma warning disable CA2012
            ValueTask<FlushResult> flush = writer.FlushAsync();
#pragma warning restore CA2012
            if (flush.IsCompleted)
            {
                if (flush.Result.IsCompleted)
                {
                    // The application completed Input: it wants no more.
                    _readEnded = true;
                    StopReceiving();
                }
            }
            else
            {
                // Past the pause threshold: stop receiving until the application consumed enough.
                _readPaused = true;
                _pendingInputFlush = flush;
                flush.GetAwaiter().UnsafeOnCompleted(_onInputFlushed ??= OnInputFlushed);
                StopReceiving();
            }
        }
        finally
        {
            _reading = false;
        }

        if (Interlocked.Exchange(ref _flushRequested, 0) != 0)
        {
            FlushOutput();
        }
    }

    private void OnInputFlushed()
    {
        // Runs where the application consumed input (its AdvanceTo), on any thread: resume receiving on the loop.
        if (Interlocked.Exchange(ref _resumeRequested, 1) == 0)
        {
            Loop.Post(this);
        }
    }

    private void EndInput(Exception? error)
    {
        if (!_readEnded)
        {
            _readEnded = true;
            _input.Writer.Complete(error);
        }

        StopReceiving();
    }

    private void FlushOutput()
    {
        if (_outputFinished || _sendInFlight)
        {
            // A send in flight continues with what was written meanwhile when it completes.
            return;
        }

        PipeReader reader = _output.Reader;
        if (!reader.TryRead(out ReadResult result))
        {
            if (_finalSends)
            {
                FinishOutput(null);
            }
            else
            {
                OnSendCaughtUp();
            }

            return;
        }

        ReadOnlySequence<byte> buffer = result.Buffer;
        if (buffer.IsEmpty)
        {
            reader.AdvanceTo(buffer.Start);
            if (result.IsCompleted || _finalSends)
            {
                FinishOutput(null);
            }

            return;
        }

        Send(buffer, result.IsCompleted);
    }

    private void Send(in ReadOnlySequence<byte> buffer, bool completesOutput)
    {
        ulong userData = IoUringLoop.UserData(_registration, SendKind);
        uint flags = (uint)(IoUringNative.MsgNoSignal | (_finalSends ? IoUringNative.MsgDontWait : 0));
        byte* sqe;
        if (buffer.IsSingleSegment)
        {
            ReadOnlyMemory<byte> segment = buffer.First;
            // Pipe blocks come from the pinned pool (pinning is free); a larger buffer from the array pool is pinned until the completion.
            _sendHandle = segment.Pin();
            _sendLength = segment.Length;
            sqe = Loop.Prepare(IoUringNative.OpSend, Fd, (ulong)_sendHandle.Pointer, (uint)segment.Length, userData);
        }
        else
        {
            if (_sendMessage is null)
            {
                _sendMessage = (byte*)NativeMemory.AllocZeroed((nuint)(MessageHeaderSize + (ReactorNative.MaxIoVectors * sizeof(ReactorNative.IoVector))));
                _sendHandles = new MemoryHandle[ReactorNative.MaxIoVectors];
            }

            var vectors = (ReactorNative.IoVector*)(_sendMessage + MessageHeaderSize);
            int count = 0;
            long attempted = 0;
            foreach (ReadOnlyMemory<byte> segment in buffer)
            {
                if (segment.IsEmpty)
                {
                    continue;
                }

                if (count == ReactorNative.MaxIoVectors)
                {
                    break;
                }

                _sendHandles![count] = segment.Pin();
                vectors[count].Base = (byte*)_sendHandles[count].Pointer;
                vectors[count].Length = (nuint)segment.Length;
                attempted += segment.Length;
                count++;
            }

            _sendHandleCount = count;
            _sendLength = attempted;
            *(ReactorNative.IoVector**)(_sendMessage + 16) = vectors;
            *(nuint*)(_sendMessage + 24) = (nuint)count;
            sqe = Loop.Prepare(IoUringNative.OpSendMsg, Fd, (ulong)_sendMessage, 1, userData);
        }

        IoUringRing.SetOperationFlags(sqe, flags);
        _sending = buffer;
        _sendCompletesOutput = completesOutput && _sendLength == buffer.Length;
        _sendInFlight = true;
        Loop.WatchSend(this);
    }

    private void OnSent(int result)
    {
        _sendInFlight = false;
        ReleaseSendPins();
        ReadOnlySequence<byte> buffer = _sending;
        _sending = default;
        PipeReader reader = _output.Reader;
        if (result < 0)
        {
            reader.AdvanceTo(buffer.Start);
            if (_finalSends && (result == -IoUringNative.EAgain || result == -IoUringNative.ECanceled))
            {
                // Stopping: the socket did not take it at once; it is not waited for.
                FinishOutput(null);
                return;
            }

            CancelClosedToken();
            FinishOutput(ReactorErrors.IOException("send", -result));
            return;
        }

        Traffic?.Sent(result);
        bool sentAll = result == _sendLength;
        // May resume the application's pending flush inline: it can write again, which the next send picks up.
        reader.AdvanceTo(buffer.GetPosition(result));
        if (Limits is { IsWriting: true } limits)
        {
            // Progress: the send-rate clock starts again. A partial send means the socket's buffer is full, so what
            // is left waits from now on (as epoll's EAGAIN after a partial write says), with no gap in between.
            limits.AfterSend();
            if (!sentAll && !limits.EndedByLimit)
            {
                limits.BeforeSend((int)Math.Min(_sendLength - result, int.MaxValue));
            }
        }

        if (sentAll && _sendCompletesOutput)
        {
            FinishOutput(null);
            return;
        }

        FlushOutput();
    }

    private void ReleaseSendPins()
    {
        _sendHandle.Dispose();
        _sendHandle = default;
        for (int i = 0; i < _sendHandleCount; i++)
        {
            _sendHandles![i].Dispose();
            _sendHandles[i] = default;
        }

        _sendHandleCount = 0;
    }

    private void OnSendCaughtUp()
    {
        if (Limits is { IsWriting: true } limits)
        {
            limits.AfterSend();
        }
    }

    private void FinishOutput(Exception? error)
    {
        if (_outputFinished)
        {
            return;
        }

        _outputFinished = true;
        OnSendCaughtUp();
        _output.Reader.Complete(error);
        OnOutputFinished(error);
    }

    private void OnOutputFinished(Exception? error)
    {
        if (_handoff is { } move)
        {
            _handoff = null;
            if (error is not null || _session.IsStopping)
            {
                move.Fail(error ?? new IOException("StartTlsAsync: the server stopped before TLS could start."));
            }
            else if (_receiveArmed)
            {
                // The socket may change hands only once the kernel no longer reads it for us.
                _handoffAwaitingReceive = move;
                StopReceiving();
            }
            else
            {
                MoveOffLoop(move);
            }

            return;
        }

        if (_handlerDone || _closeWhenFinished)
        {
            Close();
        }
    }

    private void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            CancelClosedToken();
        }

        EndInput(null);
        if (_finalSends)
        {
            return;
        }

        _finalSends = true;
        if (_sendInFlight)
        {
            // Stuck in a client that does not read: cancelled; its completion finishes the output.
            Loop.Cancel(IoUringLoop.UserData(_registration, SendKind));
        }
        else
        {
            FlushOutput();
        }
    }

    private void OnHandlerCompleted(Exception? exception)
    {
        if (_handlerDone)
        {
            return;
        }

        _handlerDone = true;
        if (exception is not null)
        {
            _session.ReportHandlerFailure(_socket, _clientAddress, exception);
        }

        Input.Complete();
        Output.Complete();
        if (_outputFinished)
        {
            Close();
        }
    }

    private void BeginHandoff(StartTlsMove move)
    {
        if (_closed || _handlerDone || _session.IsStopping || _outputFinished)
        {
            move.Fail(new IOException("StartTlsAsync: the connection was closed (or the server is stopping) before TLS could start."));
            return;
        }

        _handoff = move;
        Output.Complete();
    }

    /// <summary>
    /// Everything written was sent and the receive ended: the socket leaves the loop for a portable connection, which
    /// owns it from now on. Loop thread.
    /// </summary>
    private void MoveOffLoop(StartTlsMove move)
    {
        if (_closed)
        {
            move.Fail(new IOException("StartTlsAsync: the connection was closed before TLS could start."));
            return;
        }

        byte[] rest;
        PortableConnection portable;
        try
        {
            rest = TlsUpgrade.TakeRest(Input);
            _socket.Blocking = true;
            portable = _session.TlsConnections.Adopt(_socket, _clientAddress);
        }
        catch (Exception e) when (e is IOException || SocketErrors.IsSocketLevel(e))
        {
            move.Fail(e);
            if (_handlerDone || _closeWhenFinished)
            {
                Close();
            }

            return;
        }

        _closed = true;
        Unregister();
        _session.ConnectionMoved(this);
        portable.CarryBytes(rest);
        Input.Complete();
        move.Complete(portable);
    }

    private void Close()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        StopReceiving();
        Unregister();
        _session.ConnectionClosed(this);
    }

    private void Unregister()
    {
        if (_registered)
        {
            _registered = false;
            Loop.Unregister(_registration);
        }

        if (_sendMessage is not null)
        {
            NativeMemory.Free(_sendMessage);
            _sendMessage = null;
        }
    }

    private void CancelClosedToken()
    {
        Volatile.Write(ref _aborted, 1);
        CancellationTokenSource? source = Volatile.Read(ref _closedSource);
        if (source is not null && !source.IsCancellationRequested)
        {
            source.Cancel();
        }
    }

    private sealed class CompletionWork(IoUringConnection connection) : IReactorWork
    {
        public void Execute() => connection.OnHandlerCompleted(connection._handlerFailure);
    }

    /// <summary>One STARTTLS move off the loop, posted to it (the connection's state is the loop thread's).</summary>
    private sealed class StartTlsMove(IoUringConnection connection) : IReactorWork
    {
        private readonly TaskCompletionSource<PortableConnection> _moved = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<PortableConnection> Moved => _moved.Task;

        public void Execute() => connection.BeginHandoff(this);

        public void Complete(PortableConnection portable) => _moved.TrySetResult(portable);

        public void Fail(Exception error) => _moved.TrySetException(error);
    }
}
