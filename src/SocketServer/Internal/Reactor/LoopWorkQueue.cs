using System.Collections.Concurrent;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// The work of one loop thread besides its events or completions, for epoll's <see cref="EventLoop"/> and io_uring's
/// <see cref="IoUring.IoUringLoop"/> alike: work posted from any thread (waking the loop once per batch of posts),
/// work run at the end of the current batch, and how an exception that escapes either is reported (the loop keeps
/// running).
/// </summary>
internal sealed class LoopWorkQueue(string threadName, Action wake)
{
    private readonly ConcurrentQueue<IReactorWork> _posted = new();
    private readonly List<IReactorWork> _endOfBatch = new(64);
    private int _wakePending;

    /// <summary>Called with an exception that escaped the loop's work; null: the default sink, the whole exception.</summary>
    public Action<Exception>? UnhandledException { get; set; }

    /// <summary>True when work was posted and not run yet: the loop must not sleep.</summary>
    public bool HasPosted => !_posted.IsEmpty;

    /// <summary>True when nothing waits, posted or for the end of the batch.</summary>
    public bool IsEmpty => _posted.IsEmpty && _endOfBatch.Count == 0;

    /// <summary>Queues <paramref name="work"/>; from another thread than the loop's, wakes the loop unless a wake is pending.</summary>
    public void Post(IReactorWork work, bool onLoopThread)
    {
        _posted.Enqueue(work);
        if (!onLoopThread && Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            wake();
        }
    }

    /// <summary>Queues <paramref name="work"/> for the end of the current batch. Loop thread only.</summary>
    public void RunAtEndOfBatch(IReactorWork work) => _endOfBatch.Add(work);

    /// <summary>Runs what was posted. Loop thread.</summary>
    public void RunPosted()
    {
        // Reset before draining: a Post after this point sees 0 and wakes us, one before it is drained now.
        Volatile.Write(ref _wakePending, 0);
        while (_posted.TryDequeue(out IReactorWork? work))
        {
            Execute(work);
        }
    }

    /// <summary>Runs the end-of-batch work, including what that work queues meanwhile. Loop thread.</summary>
    public void RunEndOfBatch()
    {
        // Work may queue more (a flush that completes a handler's pending write, which writes again).
        for (int i = 0; i < _endOfBatch.Count; i++)
        {
            Execute(_endOfBatch[i]);
        }

        _endOfBatch.Clear();
    }

    /// <summary>Reports an exception that escaped the loop's work or events.</summary>
    public void Report(Exception e)
    {
        if (UnhandledException is { } report)
        {
            report(e);
        }
        else
        {
            // No server to log through (a loop of the bench's client, or a test's): the default sink, whole exception.
            Diagnostics.Log.EventLoopFailed(Diagnostics.StandardErrorLogger.Instance, threadName, e);
        }
    }

    private void Execute(IReactorWork work)
    {
        try
        {
            work.Execute();
        }
        catch (Exception e)
        {
            Report(e);
        }
    }
}
