using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using SocketServer.Internal.Diagnostics;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// A connected stream socket (TCP or Unix) driven by one <see cref="EventLoop"/>: what arrives is read into
/// <see cref="Input"/>, what the application flushes to <see cref="Output"/> is written once the read that ran it
/// returns (or at the end of the loop's batch). Usable for accepted and for connected (client) sockets alike; the
/// descriptor stays the caller's to close, after <see cref="Detach"/>.
/// </summary>
/// <remarks>
/// <para>Both pipes use <see cref="PipeScheduler.Inline"/>: the application's continuation after
/// <c>Input.ReadAsync</c> runs inside the loop's read, on its thread, with no thread hop. Reads go to the loop's
/// shared buffer and are copied into the input pipe, so an idle connection holds no buffer.</para>
/// <para>Back-pressure both ways: when the application does not consume input, the input pipe's flush stays pending
/// past its pause threshold and the connection stops reading (the kernel's buffers, then TCP's window, push back on
/// the peer) until the application catches up. When the peer does not read, writes stop at EAGAIN, the connection
/// waits for EPOLLOUT, and the application's <c>Output.FlushAsync</c> stays pending past the output pipe's
/// threshold.</para>
/// <para>All the state below is touched on the loop's thread only, except the two request flags set by
/// <see cref="ScheduleFlush"/> and the input-flush callback, which may come from any thread and post to the loop.</para>
/// </remarks>
internal class ReactorConnection : IReactorHandler, IReactorWork, IOutputFlushScheduler
{
    /// <summary>Bytes buffered in the input pipe, unconsumed, at which reading stops.</summary>
    public const long InputPauseThreshold = 64 * 1024;

    /// <summary>Bytes waiting to be sent at which the application's flush waits.</summary>
    public const long OutputPauseThreshold = 64 * 1024;

    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly ReactorOutputWriter _outputWriter;
    private CancellationTokenSource? _closedSource;
    private Action? _onInputFlushed;
    private ValueTask<FlushResult> _pendingInputFlush;
    private long _registration;
    private bool _registered;
    private bool _readPaused;
    private bool _readEnded;
    private bool _waitingWritable;
    private bool _outputFinished;
    private bool _reading;
    private int _flushRequested;
    private int _resumeRequested;
    private int _aborted;

    /// <summary>Creates the connection for <paramref name="fd"/>, which must be non-blocking; <see cref="Start"/> registers it.</summary>
    public ReactorConnection(EventLoop loop, int fd)
    {
        ArgumentNullException.ThrowIfNull(loop);
        Loop = loop;
        Fd = fd;
        _input = new Pipe(loop.InputPipeOptions ??= CreatePipeOptions(loop.MemoryPool, InputPauseThreshold));
        _output = new Pipe(loop.OutputPipeOptions ??= CreatePipeOptions(loop.MemoryPool, OutputPauseThreshold));
        _outputWriter = new ReactorOutputWriter(_output.Writer, this);
    }

    /// <summary>The loop this connection belongs to.</summary>
    public EventLoop Loop { get; }

    /// <summary>The socket's descriptor.</summary>
    public int Fd { get; }

    /// <summary>What the peer sent; completed at end of stream, or with an <see cref="IOException"/> when reading failed.</summary>
    public PipeReader Input => _input.Reader;

    /// <summary>What goes to the peer; a flush sends when the read that ran the application returns, or at the end of the loop's batch.</summary>
    public PipeWriter Output => _outputWriter;

    /// <summary>Cancelled when the connection fails (reset, failed write) or is aborted.</summary>
    public CancellationToken ConnectionClosed
    {
        get
        {
            if (_closedSource is null)
            {
                // Created on first use only: an idle connection whose handler never asks pays nothing for it.
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

    /// <summary>
    /// The server's byte totals, which every read and send adds to (one atomic add, no allocation); null for a
    /// connection of no server (the bench's client). Set before <see cref="Start"/>.
    /// </summary>
    public TrafficTotals? Traffic { get; init; }

    /// <summary>True while reading is stopped because the application does not consume its input (back-pressure). Loop thread.</summary>
    public bool IsReadPaused => _readPaused;

    /// <summary>True once everything written was sent after the application completed <see cref="Output"/>, or sending failed.</summary>
    public bool IsOutputFinished => _outputFinished;

    /// <summary>Registers the descriptor with the loop (reading starts with the first event). Any thread.</summary>
    public void Start()
    {
        _registration = Loop.Register(
            Fd,
            ReactorNative.EpollIn | ReactorNative.EpollOut | ReactorNative.EpollRdHup,
            this);
        _registered = true;
    }

    /// <summary>Removes the registration, before the descriptor is closed. Loop thread.</summary>
    public void Detach()
    {
        if (_registered)
        {
            _registered = false;
            Loop.Unregister(_registration, Fd);
        }
    }

    /// <summary>
    /// Asks the loop to write what the application flushed: when this connection's read returns if the flush came from
    /// the application running inside it, else at the end of the current batch (or soon, from another thread). Called
    /// by <see cref="Output"/>'s flush and completion.
    /// </summary>
    public void ScheduleFlush()
    {
        if (Interlocked.Exchange(ref _flushRequested, 1) == 0)
        {
            if (Loop.IsOnLoopThread)
            {
                if (_reading)
                {
                    // Our own read is running the application inline: the read flushes when it returns.
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

    /// <summary>
    /// Ends the connection from the server's side (stopping): <see cref="ConnectionClosed"/> is cancelled, the
    /// application sees the end of <see cref="Input"/>, what it writes in reaction is sent once if the socket takes
    /// it, and the output is finished. Loop thread.
    /// </summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        CancelClosedToken();
        EndInput(null);
        FlushOutput();
        FinishOutput(null);
    }

    /// <inheritdoc/>
    public void OnEvents(uint events)
    {
        if ((events & (ReactorNative.EpollIn | ReactorNative.EpollRdHup | ReactorNative.EpollHup | ReactorNative.EpollErr)) != 0 && !_readPaused)
        {
            // When the peer's FIN came with this edge, no later edge will announce it: read up to the end.
            ReadAndFlush(untilEmpty: (events & (ReactorNative.EpollRdHup | ReactorNative.EpollHup | ReactorNative.EpollErr)) != 0);
        }

        if ((events & (ReactorNative.EpollOut | ReactorNative.EpollHup | ReactorNative.EpollErr)) != 0 && _waitingWritable)
        {
            _waitingWritable = false;
            FlushOutput();
        }
    }

    /// <inheritdoc/>
    public void Execute()
    {
        if (Interlocked.Exchange(ref _resumeRequested, 0) != 0)
        {
            // Observe the flush's result (the pipe expects it): completed means the application closed Input.
            FlushResult flushed = _pendingInputFlush.GetAwaiter().GetResult();
            _pendingInputFlush = default;
            _readPaused = false;
            if (flushed.IsCompleted)
            {
                _readEnded = true;
            }

            // Whatever arrived while paused raised its edge then: read until EAGAIN.
            ReadAndFlush(untilEmpty: true);
        }

        if (Interlocked.Exchange(ref _flushRequested, 0) != 0 && !_waitingWritable)
        {
            FlushOutput();
        }
    }

    private static PipeOptions CreatePipeOptions(PinnedBlockMemoryPool pool, long pauseThreshold) => new(
        pool: pool,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: pauseThreshold,
        resumeWriterThreshold: pauseThreshold / 2,
        minimumSegmentSize: PinnedBlockMemoryPool.BlockSize,
        useSynchronizationContext: false);

    /// <summary>Called once, on the loop's thread, when <see cref="IsOutputFinished"/> becomes true.</summary>
    /// <param name="error">Why sending failed, or null when everything was sent.</param>
    protected virtual void OnOutputFinished(Exception? error)
    {
    }

    /// <summary>
    /// Output is waiting for the socket to take more (its buffer is full): <paramref name="unsent"/> bytes are pending,
    /// and <paramref name="progressed"/> says whether this attempt sent some. Loop thread; must not allocate.
    /// </summary>
    protected virtual void OnSendWaiting(long unsent, bool progressed)
    {
    }

    /// <summary>Everything flushed so far was sent (or output finished). Loop thread; must not allocate.</summary>
    protected virtual void OnSendCaughtUp()
    {
    }

    /// <summary>
    /// Reads what arrived (running the application inline) and then sends at once whatever the application flushed
    /// meanwhile: every reply to one read leaves in one system call, and it leaves now rather than at the end of the
    /// loop's batch, where it would wait behind the reads of every other connection of the batch while its client
    /// sits idle. Flushes from anywhere else (another connection's handler, a timer, another thread) still go to the
    /// end of the batch.
    /// </summary>
    private void ReadAndFlush(bool untilEmpty)
    {
        _reading = true;
        try
        {
            ReadAvailable(untilEmpty);
        }
        finally
        {
            _reading = false;
        }

        if (Interlocked.Exchange(ref _flushRequested, 0) != 0 && !_waitingWritable)
        {
            FlushOutput();
        }
    }

    private unsafe void ReadAvailable(bool untilEmpty)
    {
        PipeWriter writer = _input.Writer;
        byte* buffer = Loop.ReadBuffer;
        while (!_readEnded && !_readPaused)
        {
            nint read = ReactorNative.Read(Fd, buffer, EventLoop.ReadBufferSize);
            if (read > 0)
            {
                Traffic?.Received(read);
                writer.Write(new ReadOnlySpan<byte>(buffer, (int)read));
                // The application's continuation runs here, inline (it may write, finish, even abort us).
                // CA2012: kept in a field when pending, and its result observed exactly once (here or in Execute).
#pragma warning disable CA2012
                ValueTask<FlushResult> flush = writer.FlushAsync();
#pragma warning restore CA2012
                if (flush.IsCompleted)
                {
                    if (flush.Result.IsCompleted)
                    {
                        // The application completed Input: it wants no more; later bytes are dropped by the close.
                        _readEnded = true;
                        return;
                    }
                }
                else
                {
                    // Past the pause threshold: stop reading until the application consumed enough.
                    _readPaused = true;
                    _pendingInputFlush = flush;
                    flush.GetAwaiter().UnsafeOnCompleted(_onInputFlushed ??= OnInputFlushed);
                    return;
                }

                if (read < EventLoop.ReadBufferSize && !untilEmpty)
                {
                    // A short read emptied the socket; the next arrival raises a new edge.
                    return;
                }

                continue;
            }

            if (read == 0)
            {
                EndInput(null);
                return;
            }

            int errno = Marshal.GetLastSystemError();
            if (errno == ReactorNative.EAgain)
            {
                return;
            }

            if (errno != ReactorNative.EIntr)
            {
                CancelClosedToken();
                EndInput(ReactorErrors.IOException("read", errno));
                return;
            }
        }
    }

    private void OnInputFlushed()
    {
        // Runs where the application consumed input (its AdvanceTo), on any thread: resume reading on the loop.
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
    }

    private unsafe void FlushOutput()
    {
        PipeReader reader = _output.Reader;
        while (!_outputFinished)
        {
            if (!reader.TryRead(out ReadResult result))
            {
                OnSendCaughtUp();
                return;
            }

            ReadOnlySequence<byte> buffer = result.Buffer;
            if (buffer.IsEmpty)
            {
                reader.AdvanceTo(buffer.Start);
                if (result.IsCompleted)
                {
                    FinishOutput(null);
                }

                return;
            }

            nint written = WriteOnce(buffer, out long attempted);
            if (written < 0)
            {
                int errno = Marshal.GetLastSystemError();
                reader.AdvanceTo(buffer.Start);
                if (errno == ReactorNative.EAgain)
                {
                    _waitingWritable = true;
                    OnSendWaiting(buffer.Length, progressed: false);
                    return;
                }

                if (errno == ReactorNative.EIntr)
                {
                    continue;
                }

                CancelClosedToken();
                FinishOutput(ReactorErrors.IOException("send", errno));
                return;
            }

            Traffic?.Sent(written);
            bool sentAll = written == buffer.Length;
            // May resume the application's pending flush inline: it can write again, which the loop picks up next.
            reader.AdvanceTo(buffer.GetPosition(written));
            if (written < attempted)
            {
                // The socket's buffer is full; EPOLLOUT (edge) says when it has room.
                _waitingWritable = true;
                OnSendWaiting(buffer.Length - written, progressed: written > 0);
                return;
            }

            if (sentAll && result.IsCompleted)
            {
                FinishOutput(null);
                return;
            }
        }
    }

    private unsafe nint WriteOnce(in ReadOnlySequence<byte> buffer, out long attempted)
    {
        if (buffer.IsSingleSegment)
        {
            ReadOnlySpan<byte> span = buffer.FirstSpan;
            attempted = span.Length;
            fixed (byte* start = span)
            {
                return ReactorNative.Send(Fd, start, (nuint)span.Length, ReactorNative.MsgNoSignal);
            }
        }

        ReactorNative.IoVector* vectors = Loop.IoVectors;
        MemoryHandle[] handles = Loop.PinHandles;
        int count = 0;
        attempted = 0;
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

            // Blocks of the pinned pool pin for free; a larger buffer the pipe took from the array pool is pinned here.
            handles[count] = segment.Pin();
            vectors[count].Base = (byte*)handles[count].Pointer;
            vectors[count].Length = (nuint)segment.Length;
            attempted += segment.Length;
            count++;
        }

        nint written = ReactorNative.WriteV(Fd, vectors, count);
        int errno = Marshal.GetLastSystemError();
        for (int i = 0; i < count; i++)
        {
            handles[i].Dispose();
            handles[i] = default;
        }

        Marshal.SetLastSystemError(errno);
        return written;
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

    private void CancelClosedToken()
    {
        Volatile.Write(ref _aborted, 1);
        CancellationTokenSource? source = Volatile.Read(ref _closedSource);
        if (source is not null && !source.IsCancellationRequested)
        {
            source.Cancel();
        }
    }
}
