namespace SocketServer.Internal.Reactor;

/// <summary>
/// What a <see cref="DuplexConnection"/> needs of its loop whichever transport it runs: its thread, its work queues
/// and its pool of blocks. <see cref="EventLoop"/> (epoll) and <see cref="IoUring.IoUringLoop"/> are the two.
/// </summary>
internal interface IConnectionLoop
{
    /// <summary>True on the loop's own thread.</summary>
    bool IsOnLoopThread { get; }

    /// <summary>The loop's pool of pinned blocks for its connections' input and output.</summary>
    PinnedSegmentPool SegmentPool { get; }

    /// <summary>Runs <paramref name="work"/> on the loop's thread soon; callable from any thread.</summary>
    void Post(IReactorWork work);

    /// <summary>Runs <paramref name="work"/> after every event (or completion) of the current batch. Loop thread only.</summary>
    void RunAtEndOfBatch(IReactorWork work);
}
