using SocketServer.Internal.Proxy;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// Reads one connection's PROXY header on the first loop, without blocking it: the descriptor is registered
/// (edge-triggered) until the header is whole, refused, or late. Then it is unregistered, and the request goes on
/// through the pipeline on the loop, where the connection registers it again; the bytes after the header are still in
/// the socket, and the new registration reports them.
/// </summary>
internal sealed class ReactorProxyHeaderReader(ReactorServeSession session, EventLoop loop, ProxyHeaderRead read)
    : LoopProxyHeaderReader(read), IReactorHandler
{
    private long _registration;

    /// <summary>Registers the descriptor and arms the deadline. Loop thread.</summary>
    public void Start(TimeProvider time)
    {
        // Data already queued is reported by the registration itself (on the loop, after this returns).
        _registration = loop.Register(Fd, ReactorNative.EpollIn | ReactorNative.EpollRdHup, this);
        StartDeadline(time);
    }

    /// <inheritdoc/>
    /// <remarks>Not readable any more (EAGAIN) leaves the read going: the next edge brings more.</remarks>
    public void OnEvents(uint events) => Readable();

    /// <inheritdoc/>
    protected override void PostToLoop(IReactorWork work) => loop.Post(work);

    /// <inheritdoc/>
    protected override void StopWatching() => loop.Unregister(_registration, Fd);

    /// <inheritdoc/>
    protected override void Finished() => session.ProxyHeaderRead(this);

    /// <inheritdoc/>
    protected override void Abandoned() => session.ProxyHeaderAbandoned(this);
}
