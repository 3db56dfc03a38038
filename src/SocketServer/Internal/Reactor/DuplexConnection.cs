using System.IO.Pipelines;
using SocketServer.Internal.Diagnostics;
using SocketServer.Internal.IoUring;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// A connected stream socket (TCP or Unix) driven by one event loop, epoll's <see cref="EventLoop"/> or an
/// <see cref="IoUringLoop"/>, and the handler's duplex pipe over it: <see cref="Input"/> hands the handler the pooled
/// blocks the connection received into, <see cref="Output"/> gives it blocks to write into, which the connection sends
/// from (no copy), once the read that ran the handler returns or at the end of the loop's batch. Usable for accepted
/// and for connected (client) sockets alike; the descriptor stays the caller's to close, after <see cref="Detach()"/>.
/// </summary>
/// <remarks>
/// <para><b>Transports.</b> How bytes move is the only thing the two loops do differently, each in a file of its own:
/// epoll (<c>DuplexConnection.Epoll.cs</c>: readiness; <c>recvmsg</c> into fresh blocks when readable, <c>send</c>/<c>sendmsg</c>
/// until EAGAIN, then EPOLLOUT) and io_uring (<c>DuplexConnection.IoUring.cs</c>: completions; a multishot receive
/// into the ring's provided buffers, copied into the connection's blocks, and one <c>send</c>/<c>sendmsg</c> in flight
/// at a time from the send queue's blocks). The blocks, back-pressure, threading rules and the handler's pipes below
/// are this class's, once, for both.</para>
/// <para><b>Threading.</b> The state belongs to the loop's thread, and a handler that runs there (its code after an
/// <c>await</c> on <see cref="Input"/> or on a waiting flush always does) uses it with no lock and no atomic
/// operation. A handler may also continue on another thread (it awaited something else); then:</para>
/// <list type="bullet">
/// <item>Input: while a read waits (the reader is <i>parked</i>) only the loop touches the input, lock-free. While the
/// handler holds the reader (not parked), the loop's reads and the handler's calls from a thread other than the loop's
/// take one lock (the <see cref="DuplexInput"/> object's monitor); the handler's calls on the loop's thread do not
/// (they cannot overlap the loop). A read the handler starts off the loop that has to wait completes on the loop.</item>
/// <item>Output: what the handler writes (<c>GetMemory</c>/<c>Advance</c>) is its own until it flushes. A flush on the
/// loop's thread appends to the send queue directly; a flush from another thread appends to an inbox under the same
/// lock and asks the loop (one posted work item) to take it. A flush that must wait (back-pressure) completes on the
/// loop.</item>
/// <item><c>CancelPendingRead</c>/<c>CancelPendingFlush</c>, and cancellation tokens, set a flag and post to the loop,
/// from any thread.</item>
/// </list>
/// <para><b>Memory.</b> Blocks come from the loop's <see cref="PinnedSegmentPool"/> (rented and returned on the loop
/// without atomics). An idle connection, whose handler consumed everything and flushed what it wrote, holds no block:
/// the reader gives a block back as soon as everything in it is consumed, the sender once it is sent.</para>
/// <para><b>Back-pressure</b> both ways: when the handler does not consume its input, the connection stops reading
/// past <see cref="InputPauseThreshold"/> unconsumed bytes until it consumes down to half of it (as a pipe's pause
/// threshold: also while it waits having examined everything, so what a connection buffers stays bounded); when the
/// peer does not read, the socket's sends wait (epoll: EAGAIN, then EPOLLOUT; io_uring: the send stays in flight),
/// and a flush waits while <see cref="OutputPauseThreshold"/> bytes (or <see cref="OutputPauseBlocks"/> blocks) are
/// unsent, until they fall below half of that.</para>
/// </remarks>
internal partial class DuplexConnection : IReactorHandler, IIoUringHandler, IReactorWork
{
    // Requests from other threads, taken by Execute on the loop (posted once per batch of requests).
    private const int ResumeReadRequest = 1;
    private const int ReadCheckRequest = 2;
    private const int SendRequest = 4;
    private const int FlushWaitRequest = 8;
    private const int FlushCheckRequest = 16;
    private const int StartRequest = 32;
    private const int ReceiveAgainRequest = 64;

    private readonly DuplexInput _input;
    private readonly DuplexOutput _output;
    private readonly PinnedSegmentPool _pool;
    private readonly EventLoop? _epoll;
    private readonly IoUringLoop? _ring;
    private CancellationTokenSource? _closedSource;
    private long _registration;
    private bool _registered;
    private bool _reading;
    private bool _sendScheduled;
    private int _requests;
    private int _aborted;

    /// <summary>
    /// Creates the connection for <paramref name="fd"/>, which must be non-blocking, on <paramref name="loop"/>: an
    /// <see cref="EventLoop"/> (epoll) or an <see cref="IoUringLoop"/>. <see cref="Start"/> registers it.
    /// </summary>
    public DuplexConnection(IConnectionLoop loop, int fd)
    {
        ArgumentNullException.ThrowIfNull(loop);
        _epoll = loop as EventLoop;
        _ring = loop as IoUringLoop;
        if (_epoll is null && _ring is null)
        {
            throw new ArgumentException("The loop must be an epoll EventLoop or an IoUringLoop.", nameof(loop));
        }

        Loop = loop;
        Fd = fd;
        _pool = loop.SegmentPool;
        _input = new DuplexInput(this);
        _output = new DuplexOutput(this);
    }

    /// <summary>The loop this connection belongs to.</summary>
    public IConnectionLoop Loop { get; }

    /// <summary>The socket's descriptor.</summary>
    public int Fd { get; }

    /// <summary>What the peer sent; completed at end of stream, or with an <see cref="IOException"/> when reading failed.</summary>
    public PipeReader Input => _input;

    /// <summary>What goes to the peer; a flush sends when the read that ran the application returns, or at the end of the loop's batch.</summary>
    public PipeWriter Output => _output;

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

    /// <summary>True on the loop's thread (through the concrete loop: no interface call on the per-message path).</summary>
    protected bool OnLoopThread => _ring is null ? _epoll!.IsOnLoopThread : _ring.IsOnLoopThread;

    /// <summary>
    /// The server's byte totals, which every read and send adds to (one atomic add, no allocation); null for a
    /// connection of no server (the bench's client). Set before <see cref="Start"/>.
    /// </summary>
    public TrafficTotals? Traffic { get; init; }

    /// <summary>
    /// Starts the connection: epoll registers the descriptor (reading starts with the first event), io_uring arms the
    /// receive on the loop's thread (posted there when called from another). Any thread.
    /// </summary>
    public void Start()
    {
        if (_ring is null)
        {
            StartEpoll();
        }
        else if (_ring.IsOnLoopThread)
        {
            StartIoUring();
        }
        else
        {
            Request(StartRequest);
        }
    }

    /// <summary>Ends the registration of a descriptor that stays open or may be held elsewhere (see <see cref="Detach(bool)"/>). Loop thread.</summary>
    public void Detach() => Detach(closedNextByOnlyOwner: false);

    /// <summary>
    /// Ends the registration, before the descriptor is closed: no event or completion reaches the connection after
    /// this (io_uring cancels its receive; the kernel lets go of the file when that completes). Loop thread.
    /// </summary>
    /// <param name="closedNextByOnlyOwner">
    /// Whether the descriptor is closed right after this by the only holder of the file: epoll then drops it at the
    /// close, so the connection only forgets its registration (no <c>EPOLL_CTL_DEL</c>).
    /// </param>
    public void Detach(bool closedNextByOnlyOwner)
    {
        if (!_registered)
        {
            return;
        }

        if (_ring is null)
        {
            if (closedNextByOnlyOwner)
            {
                _epoll!.Forget(_registration);
            }
            else
            {
                _epoll!.Unregister(_registration, Fd);
            }
        }
        else
        {
            // While still registered: the receive's cancellation goes out under this registration.
            DetachIoUring();
        }

        _registered = false;
    }

    /// <summary>
    /// Ends the connection from the server's side (stopping): <see cref="ConnectionClosed"/> is cancelled, the
    /// application sees the end of <see cref="Input"/>, what it writes in reaction is sent once if the socket takes
    /// it, and the output is finished: at once on epoll; on io_uring when the last send completes (a send waiting
    /// for a peer that does not read is cancelled), so check <see cref="IsOutputFinished"/>. Loop thread.
    /// </summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        CancelClosedToken();
        EndInput(null);
        _finalSends = true;
        SendPending();
        FinishOutput(null);
    }

    /// <inheritdoc/>
    /// <remarks>Runs for the connection's end-of-batch send and for requests posted from other threads.</remarks>
    public void Execute()
    {
        int requests = Volatile.Read(ref _requests) == 0 ? 0 : Interlocked.Exchange(ref _requests, 0);
        if ((requests & StartRequest) != 0)
        {
            StartIoUring();
        }

        if ((requests & ReceiveAgainRequest) != 0)
        {
            ResumeIoUringReceive();
        }

        if ((requests & ReadCheckRequest) != 0)
        {
            CheckParkedRead();
        }

        if ((requests & ResumeReadRequest) != 0)
        {
            ResumeReading();
        }

        if (_sendScheduled || (requests & (SendRequest | FlushWaitRequest)) != 0)
        {
            _sendScheduled = false;
            if (_waitingWritable)
            {
                // A send waits (epoll: for EPOLLOUT; io_uring: its completion): take what other threads flushed, to
                // count it, and let that event go on.
                TakeInbox();
            }
            else
            {
                SendPending();
            }
        }

        if ((requests & FlushWaitRequest) != 0)
        {
            // A flush from another thread found too much unsent: it waits here until the sends catch up.
            ParkFlush();
        }

        if ((requests & FlushCheckRequest) != 0)
        {
            CheckParkedFlush();
        }
    }

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

    /// <summary>The socket took everything the last send attempted (or output finished): nothing is stuck. Loop thread; must not allocate.</summary>
    protected virtual void OnSendCaughtUp()
    {
    }

    /// <summary>A receive stop asked for by <see cref="StopReceiving"/> that could not end at once has ended. Loop thread.</summary>
    protected virtual void OnReceiveStopped()
    {
    }

    /// <summary>
    /// Stops receiving for good (the socket is about to change hands): true when nothing can arrive any more; false
    /// when a receive in flight must end first (io_uring), which <see cref="OnReceiveStopped"/> then says. Loop thread.
    /// </summary>
    protected bool StopReceiving()
    {
        _readStopped = true;
        return _ring is null || StopIoUringReceive();
    }

    /// <summary>
    /// The application runs inline in what the transport received (its continuation after a read): then whatever it
    /// flushed meanwhile leaves at once, so every reply to one read goes in one send, now rather than at the end of
    /// the loop's batch, where it would wait behind the reads of every other connection of the batch while its
    /// client sits idle. Flushes from anywhere else (another connection's handler, a timer, another thread) still go
    /// to the end of the batch.
    /// </summary>
    private void BeginInlineRun() => _reading = true;

    /// <summary>The inline run returned: send what it flushed (unless a send already waits, which takes it along).</summary>
    private void EndInlineRun()
    {
        _reading = false;
        if (_sendScheduled)
        {
            _sendScheduled = false;
            if (!_waitingWritable)
            {
                SendPending();
            }
        }
    }

    /// <summary>The inline run failed: what the handler flushed before the failure still leaves, at the end of the batch.</summary>
    private void AbandonInlineRun()
    {
        _reading = false;
        if (_sendScheduled)
        {
            RunAtEndOfBatch();
        }
    }

    /// <summary>Resumes reading after a pause, once the application consumed enough. Loop thread.</summary>
    private void ResumeReading()
    {
        bool resumed;
        lock (_input)
        {
            resumed = _readPaused && _received - _consumed < InputPauseThreshold / 2;
            if (resumed)
            {
                _readPaused = false;
            }
        }

        if (!resumed)
        {
            return;
        }

        if (_ring is null)
        {
            // Whatever arrived while paused raised its edge then: read until EAGAIN.
            ReadAndSend(untilEmpty: true);
        }
        else
        {
            ResumeIoUringReceive();
        }
    }

    /// <summary>
    /// Asks the loop to send what was committed: when this connection's read returns if the application runs inside
    /// it, else at the end of the current batch. Loop thread.
    /// </summary>
    private void ScheduleSend()
    {
        if (_sendScheduled)
        {
            return;
        }

        _sendScheduled = true;
        if (!_reading)
        {
            RunAtEndOfBatch();
        }
    }

    /// <summary>Asks the loop, from any thread, to run <see cref="Execute"/> with <paramref name="request"/>.</summary>
    private void Request(int request)
    {
        if (Interlocked.Or(ref _requests, request) == 0)
        {
            PostToLoop(this);
        }
    }

    /// <summary>Runs <paramref name="work"/> on the loop's thread soon; any thread.</summary>
    protected void PostToLoop(IReactorWork work)
    {
        if (_ring is null)
        {
            _epoll!.Post(work);
        }
        else
        {
            _ring.Post(work);
        }
    }

    private void RunAtEndOfBatch()
    {
        if (_ring is null)
        {
            _epoll!.RunAtEndOfBatch(this);
        }
        else
        {
            _ring.RunAtEndOfBatch(this);
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
}
