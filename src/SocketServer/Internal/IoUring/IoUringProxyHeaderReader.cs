using SocketServer.Internal.Proxy;
using SocketServer.Internal.Reactor;

namespace SocketServer.Internal.IoUring;

/// <summary>
/// Reads one connection's PROXY header on the first io_uring loop, without blocking it: a one-shot poll
/// (<c>IORING_OP_POLL_ADD</c>) says when the socket is readable, then <see cref="ProxyHeaderReceiver.ReadAvailable"/>
/// takes what it holds of the header, and the poll is armed again until the header is whole, refused, or late (a timer
/// on the server's clock posts the deadline to the loop). The bytes after the header stay in the socket, for the
/// connection's multishot receive. Polling rather than receiving through the ring: the header must be taken exactly,
/// and a provided buffer would take whatever came with it.
/// </summary>
internal sealed class IoUringProxyHeaderReader : IIoUringHandler, IReactorWork
{
    private const byte PollKind = 8;

    private readonly IoUringServeSession _session;
    private readonly IoUringLoop _loop;
    private readonly ProxyHeaderRead _read;
    private readonly int _fd;
    private long _registration;
    private ITimer? _deadline;
    private bool _pollArmed;
    private bool _done;

    public IoUringProxyHeaderReader(IoUringServeSession session, IoUringLoop loop, ProxyHeaderRead read)
    {
        _session = session;
        _loop = loop;
        _read = read;
        _fd = (int)read.Socket.Handle;
    }

    /// <summary>The read.</summary>
    public ProxyHeaderRead Read => _read;

    /// <summary>Arms the first poll and the deadline. Loop thread.</summary>
    public void Start(TimeProvider time)
    {
        _registration = _loop.Register(this);
        ArmPoll();
        TimeSpan left = ProxyHeaderReceiver.TimeLeft(_read, time);
        _deadline = time.CreateTimer(static state => ((IoUringProxyHeaderReader)state!).DeadlinePassed(), this, left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    /// <inheritdoc/>
    public unsafe void OnCompletion(byte kind, int result, uint flags, byte* buffer)
    {
        _pollArmed = false;
        if (_done)
        {
            return;
        }

        if (result < 0)
        {
            _read.Fail("reading the header failed: " + ReactorErrors.Exception("poll", -result).Message);
            Finish();
            return;
        }

        if (ProxyHeaderReceiver.ReadAvailable(_read, _fd))
        {
            Finish();
        }
        else
        {
            ArmPoll();
        }
    }

    /// <summary>The deadline, posted to the loop.</summary>
    public void Execute()
    {
        if (!_done)
        {
            _read.Fail(ProxyHeaderReceiver.TimedOut(_read.Options));
            Finish();
        }
    }

    /// <summary>Serving stops: the connection is refused unseen (not logged: nothing went wrong with it). Loop thread.</summary>
    public void Abandon()
    {
        if (!_done)
        {
            _done = true;
            Release();
            _session.ProxyHeaderAbandoned(this);
        }
    }

    private unsafe void ArmPoll()
    {
        byte* sqe = _loop.Prepare(IoUringNative.OpPollAdd, _fd, 0, 0, IoUringLoop.UserData(_registration, PollKind));
        IoUringRing.SetOperationFlags(sqe, IoUringNative.PollIn | IoUringNative.PollRdHup);
        _pollArmed = true;
    }

    private void DeadlinePassed() => _loop.Post(this);

    private void Finish()
    {
        _done = true;
        Release();
        _session.ProxyHeaderRead(this);
    }

    private void Release()
    {
        _deadline?.Dispose();
        if (_pollArmed)
        {
            // Its completion (ECANCELED) finds the slot freed and is dropped.
            _loop.Cancel(IoUringLoop.UserData(_registration, PollKind));
            _pollArmed = false;
        }

        _loop.Unregister(_registration);
    }
}
