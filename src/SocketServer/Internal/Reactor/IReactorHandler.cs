namespace SocketServer.Internal.Reactor;

/// <summary>Something registered with an <see cref="EventLoop"/> for a descriptor's readiness events.</summary>
internal interface IReactorHandler
{
    /// <summary>
    /// Called on the loop's thread with the epoll event mask (<see cref="ReactorNative.EpollIn"/>...). The
    /// registration is edge-triggered: read or write until EAGAIN (or a short read), or the edge is lost.
    /// </summary>
    void OnEvents(uint events);
}
