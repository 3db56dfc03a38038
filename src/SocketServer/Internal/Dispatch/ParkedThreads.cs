namespace SocketServer.Internal.Dispatch;

/// <summary>
/// A threading server's request threads that finished a request and wait, parked, to run the next one instead of
/// ending: a new thread costs the runtime about 40 system calls (its stack, signal stack, affinity, priority
/// and name) and nearly two context switches, more than serving a short connection does. At most <c>MaxIdleThreads</c> are parked;
/// each ends after <see cref="IdleTimeout"/> without work, and all of them when the server closes.
/// </summary>
/// <remarks>
/// The most recently parked thread is taken first (its stack and caches are warm), so under a steady load the oldest
/// ones time out. Lock order: this park's lock, then a thread's own.
/// </remarks>
internal sealed class ParkedThreads(IThreadingServer settings)
{
    /// <summary>How long a parked thread waits for a request before it ends, as the .NET thread pool's idle workers.</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(20);

    private readonly Lock _lock = new();
    private readonly List<RequestThread> _idle = [];
    private bool _closed;

    /// <summary>How long a parked thread waits before it ends; tests shorten it.</summary>
    public TimeSpan IdleTimeout { get; set; } = DefaultIdleTimeout;

    /// <summary>How many threads are parked now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _idle.Count;
            }
        }
    }

    /// <summary>Takes the most recently parked thread off the park, or returns null when none waits.</summary>
    public RequestThread? TakeIdle()
    {
        lock (_lock)
        {
            if (_idle.Count == 0)
            {
                return null;
            }

            RequestThread thread = _idle[^1];
            _idle.RemoveAt(_idle.Count - 1);
            return thread;
        }
    }

    /// <summary>
    /// Parks <paramref name="thread"/>, which just finished a request; false when it must end instead: the server is
    /// closed, or <c>MaxIdleThreads</c> threads are parked already.
    /// </summary>
    public bool Park(RequestThread thread)
    {
        int max = settings.MaxIdleThreads;
        lock (_lock)
        {
            if (_closed || _idle.Count >= max)
            {
                return false;
            }

            _idle.Add(thread);
            return true;
        }
    }

    /// <summary>Takes a thread that waited too long off the park; false when a dispatcher took it first.</summary>
    public bool Unpark(RequestThread thread)
    {
        lock (_lock)
        {
            return _idle.Remove(thread);
        }
    }

    /// <summary>
    /// The server closed: parks no more threads, and ends the parked ones, waiting for them (they run nothing, so
    /// this is prompt). Threads still running a request end when it does.
    /// </summary>
    public void Close()
    {
        RequestThread[] parked;
        lock (_lock)
        {
            _closed = true;
            parked = [.. _idle];
            _idle.Clear();
        }

        foreach (RequestThread thread in parked)
        {
            thread.Stop();
        }

        foreach (RequestThread thread in parked)
        {
            thread.Thread.Join();
        }
    }
}
