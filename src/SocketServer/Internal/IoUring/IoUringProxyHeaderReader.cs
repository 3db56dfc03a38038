using SocketServer.Internal.Proxy;
using SocketServer.Internal.Reactor;

namespace SocketServer.Internal.IoUring;

/// <summary>
/// Reads one connection's PROXY header on the first io_uring loop, without blocking it: a one-shot poll
/// (<c>IORING_OP_POLL_ADD</c>) says when the socket is readable, the shared step takes what it holds of the header, and
/// the poll is armed again until the header is whole, refused, or late. The bytes after the header stay in the socket,
/// for the connection's multishot receive. Polling rather than receiving through the ring: the header must be taken
/// exactly, and a provided buffer would take whatever came with it.
/// </summary>
internal sealed class IoUringProxyHeaderReader(IoUringServeSession session, IoUringLoop loop, ProxyHeaderRead read)
    : LoopProxyHeaderReader(read), IIoUringHandler
{
    private const byte PollKind = 8;

    private long _registration;
    private bool _pollArmed;

    /// <summary>Arms the first poll and the deadline. Loop thread.</summary>
    public void Start(TimeProvider time)
    {
        _registration = loop.Register(this);
        ArmPoll();
        StartDeadline(time);
    }

    /// <inheritdoc/>
    public unsafe void OnCompletion(byte kind, int result, uint flags, byte* buffer)
    {
        _pollArmed = false;
        if (Done)
        {
            return;
        }

        if (result < 0)
        {
            Read.Fail("reading the header failed: " + ReactorErrors.Exception("poll", -result).Message);
            Finish();
            return;
        }

        if (!Readable())
        {
            ArmPoll();
        }
    }

    /// <inheritdoc/>
    protected override void PostToLoop(IReactorWork work) => loop.Post(work);

    /// <inheritdoc/>
    protected override void StopWatching()
    {
        if (_pollArmed)
        {
            // Its completion (ECANCELED) finds the slot freed and is dropped.
            loop.Cancel(IoUringLoop.UserData(_registration, PollKind));
            _pollArmed = false;
        }

        loop.Unregister(_registration);
    }

    /// <inheritdoc/>
    protected override void Finished() => session.ProxyHeaderRead(this);

    /// <inheritdoc/>
    protected override void Abandoned() => session.ProxyHeaderAbandoned(this);

    private unsafe void ArmPoll()
    {
        byte* sqe = loop.Prepare(IoUringNative.OpPollAdd, Fd, 0, 0, IoUringLoop.UserData(_registration, PollKind));
        IoUringRing.SetOperationFlags(sqe, IoUringNative.PollIn | IoUringNative.PollRdHup);
        _pollArmed = true;
    }
}
