using SocketServer.Internal;
namespace SocketServer.Internal.Dispatch;

/// <summary>
/// Python's <c>_Threads</c>: the non-daemon requests a server must wait for on close. Python keeps their threads and
/// joins them; a request thread may serve several requests here (<see cref="ParkedThreads"/>), so each request's
/// <see cref="RequestWork"/> is kept, and joining it waits for the request to end. Each append first drops the
/// requests that have ended, so a long-running server holds only the live ones (bpo-37193).
/// </summary>
internal sealed class ThreadSet
{
    private readonly Lock _lock = new();
    private List<RequestWork> _requests = [];

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _requests.Count;
            }
        }
    }

    /// <summary>Reaps ended requests, then tracks <paramref name="work"/> unless it runs on a background (daemon) thread.</summary>
    public void Append(RequestWork work)
    {
        lock (_lock)
        {
            _requests.RemoveAll(static r => r.IsFinished);
            if (!work.Daemon)
            {
                _requests.Add(work);
            }
        }
    }

    /// <summary>
    /// Takes every tracked request and waits for each to end. Called from one of them (a handler calling
    /// <c>ServerClose</c>), it waits for all the others, then throws instead of waiting for itself, which would never
    /// return: CPython raises "cannot join current thread" there.
    /// </summary>
    /// <exception cref="InvalidOperationException">The calling thread runs one of the tracked requests.</exception>
    public void Join()
    {
        List<RequestWork> requests;
        lock (_lock)
        {
            requests = _requests;
            _requests = [];
        }

        Thread current = Thread.CurrentThread;
        RequestWork? own = null;
        foreach (RequestWork request in requests)
        {
            // An ended request may have run on this thread before the one now calling; only a running one is its own.
            if (request.Thread == current && !request.IsFinished)
            {
                own = request;
            }
            else
            {
                // A request whose thread could not start was marked ended; there is nothing to wait for.
                request.Wait();
            }
        }

        if (own is not null)
        {
            lock (_lock)
            {
                // Still running: a later close from another thread must wait for it.
                _requests.Add(own);
            }

            throw new InvalidOperationException(
                "ServerClose() was called from one of the server's own request threads, which cannot wait for itself to finish. " +
                "The socket is closed and the other request threads have finished; call ServerClose() from another thread, " +
                "for example after ServeForever() returns, to wait for this one too.");
        }
    }
}
