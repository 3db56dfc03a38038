namespace SocketServer.Internal;

/// <summary>
/// Python's <c>_Threads</c>: the non-daemon request threads a server must join on close. Each append first
/// drops the threads that have finished, so a long-running server holds only the live ones (bpo-37193).
/// </summary>
internal sealed class ThreadSet
{
    private readonly Lock _lock = new();
    private List<Thread> _threads = [];

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _threads.Count;
            }
        }
    }

    /// <summary>Reaps finished threads, then tracks <paramref name="thread"/> unless it is a background (daemon) thread.</summary>
    public void Append(Thread thread)
    {
        lock (_lock)
        {
            _threads.RemoveAll(static t => !t.IsAlive && (t.ThreadState & ThreadState.Unstarted) == 0);
            if (!thread.IsBackground)
            {
                _threads.Add(thread);
            }
        }
    }

    /// <summary>Takes every tracked thread and waits for each to finish.</summary>
    public void Join()
    {
        List<Thread> threads;
        lock (_lock)
        {
            threads = _threads;
            _threads = [];
        }

        foreach (Thread thread in threads)
        {
            // A thread whose Start failed was never run; there is nothing to wait for.
            if ((thread.ThreadState & ThreadState.Unstarted) == 0)
            {
                thread.Join();
            }
        }
    }
}
