using SocketServer.Internal;
namespace SocketServer.Internal.Dispatch;

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

    /// <summary>
    /// Takes every tracked thread and waits for each to finish. Called from one of them (a handler calling
    /// <c>ServerClose</c>), it waits for all the others, then throws instead of waiting for itself, which would never
    /// return: CPython raises "cannot join current thread" there.
    /// </summary>
    /// <exception cref="InvalidOperationException">The calling thread is one of the tracked request threads.</exception>
    public void Join()
    {
        List<Thread> threads;
        lock (_lock)
        {
            threads = _threads;
            _threads = [];
        }

        Thread current = Thread.CurrentThread;
        bool joiningItself = false;
        foreach (Thread thread in threads)
        {
            if (thread == current)
            {
                joiningItself = true;
            }
            else if ((thread.ThreadState & ThreadState.Unstarted) == 0)
            {
                // A thread whose Start failed was never run; there is nothing to wait for.
                thread.Join();
            }
        }

        if (joiningItself)
        {
            lock (_lock)
            {
                // Still running: a later close from another thread must wait for it.
                _threads.Add(current);
            }

            throw new InvalidOperationException(
                "ServerClose() was called from one of the server's own request threads, which cannot wait for itself to finish. " +
                "The socket is closed and the other request threads have finished; call ServerClose() from another thread, " +
                "for example after ServeForever() returns, to wait for this one too.");
        }
    }
}
