using SocketServer.Internal.Proxy;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// Reads one connection's PROXY header on the first loop, without blocking it: the descriptor is registered
/// (edge-triggered) until the header is whole, refused, or late (a timer on the server's clock posts the deadline to
/// the loop). Then it is unregistered, and the request goes on through the pipeline on the loop, where the connection
/// registers it again; the bytes after the header are still in the socket, and the new registration reports them.
/// </summary>
internal sealed class ReactorProxyHeaderReader : IReactorHandler, IReactorWork
{
    private readonly ReactorServeSession _session;
    private readonly EventLoop _loop;
    private readonly ProxyHeaderRead _read;
    private readonly int _fd;
    private long _registration;
    private ITimer? _deadline;
    private bool _done;

    public ReactorProxyHeaderReader(ReactorServeSession session, EventLoop loop, ProxyHeaderRead read)
    {
        _session = session;
        _loop = loop;
        _read = read;
        _fd = (int)read.Socket.Handle;
    }

    /// <summary>The read.</summary>
    public ProxyHeaderRead Read => _read;

    /// <summary>Registers the descriptor and arms the deadline. Loop thread.</summary>
    public void Start(TimeProvider time)
    {
        // Data already queued is reported by the registration itself (on the loop, after this returns).
        _registration = _loop.Register(_fd, ReactorNative.EpollIn | ReactorNative.EpollRdHup, this);
        TimeSpan left = ProxyHeaderReceiver.TimeLeft(_read, time);
        _deadline = time.CreateTimer(static state => ((ReactorProxyHeaderReader)state!).DeadlinePassed(), this, left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    /// <inheritdoc/>
    public void OnEvents(uint events)
    {
        // Not readable any more (EAGAIN): the next edge brings more.
        if (!_done && ProxyHeaderReceiver.ReadAvailable(_read, _fd))
        {
            Finish();
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
        _loop.Unregister(_registration, _fd);
    }
}
