using SocketServer.Internal.Async;

namespace SocketServer.Internal.Requests;

/// <summary>
/// One call of <c>ServeForever</c> or <c>ServeAsync</c>, from start to return: the thread running the loop, the waker
/// that interrupts its wait, the async session, and the signal that it ended. <c>Shutdown</c>, <c>ShutdownAsync</c>,
/// <c>ServerClose</c> and the limits talk to the run in progress through this object and nothing else.
/// </summary>
internal sealed class ServeRun
{
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile LoopWaker? _waker;
    private volatile IServeSession? _session;
    private int _state;

    /// <summary>A run of the synchronous loop on the calling thread, or (with <paramref name="loopThreadId"/> 0) an async run.</summary>
    public ServeRun(int loopThreadId) => LoopThreadId = loopThreadId;

    /// <summary>The managed id of the thread running <c>ServeForever</c>; 0 for <c>ServeAsync</c>.</summary>
    public int LoopThreadId { get; }

    /// <summary>Where the run is.</summary>
    public ServeRunState State => (ServeRunState)Volatile.Read(ref _state);

    /// <summary>The async session, once started; null for the synchronous loop.</summary>
    public IServeSession? Session => _session;

    /// <summary>Completes when the run has ended.</summary>
    public Task Ended => _ended.Task;

    /// <summary>Whether the calling thread is one the run's end waits for: <c>Shutdown()</c> there would deadlock.</summary>
    public bool IsOnItsOwnThread() =>
        LoopThreadId == Environment.CurrentManagedThreadId || (_session?.IsOnLoopThread() ?? false);

    /// <summary>Publishes the waker of the synchronous loop (null without loopback: Shutdown is then seen at the next poll).</summary>
    public void AttachWaker(LoopWaker? waker) => _waker = waker;

    /// <summary>Publishes the async session.</summary>
    public void AttachSession(IServeSession session) => _session = session;

    /// <summary>The setup is done: serving, unless a stop came meanwhile.</summary>
    public void MarkServing() => Interlocked.CompareExchange(ref _state, (int)ServeRunState.Serving, (int)ServeRunState.Starting);

    /// <summary>
    /// Asks the run to stop (idempotent, any thread, never waits): wakes the loop, or tells the session. The server's
    /// shutdown flag is set by the caller first, so a loop that has not reached its wait yet sees it.
    /// </summary>
    public void RequestStop()
    {
        int state = Volatile.Read(ref _state);
        if (state < (int)ServeRunState.Stopping)
        {
            Interlocked.CompareExchange(ref _state, (int)ServeRunState.Stopping, state);
        }

        Wake();
        _session?.RequestStop();
    }

    /// <summary>Wakes the loop's wait without stopping it (a freed connection slot, <c>ServerClose</c>).</summary>
    public void Wake() => _waker?.Wake();

    /// <summary>A connection ended at the connection cap: the loop, or the session, accepts again.</summary>
    public void SlotFreed()
    {
        _waker?.Wake();
        _session?.ResumeAccepting();
    }

    /// <summary>Marks the run ended and completes <see cref="Ended"/>.</summary>
    public void MarkEnded()
    {
        _waker = null;
        Volatile.Write(ref _state, (int)ServeRunState.Ended);
        _ended.TrySetResult();
    }
}
