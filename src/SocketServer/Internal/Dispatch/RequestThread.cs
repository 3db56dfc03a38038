namespace SocketServer.Internal.Dispatch;

/// <summary>
/// One dedicated thread that runs requests of a server: the first it was started for, then, while its server's
/// <see cref="ParkedThreads"/> keeps it, the next ones handed to it. Between requests it is parked, a background
/// thread waiting on its own monitor, holding nothing of the last request.
/// </summary>
/// <remarks>
/// Each request runs as on a new thread of its own: under the thread's <c>Thread-N</c> name and daemon flag of that
/// request, in the execution context captured where it was dispatched (so AsyncLocal values, culture, principal and
/// synchronization context a handler sets are undone when it returns), at normal priority.
/// </remarks>
internal sealed class RequestThread
{
    private static readonly ContextCallback s_runInContext = static state => Run((RequestWork)state!);

    // Guards _next and _exit; the owner waits on it while parked. A monitor, for Monitor.Wait with a timeout.
    private readonly object _gate = new();
    private readonly ParkedThreads? _park;
    private RequestWork? _next;
    private bool _exit;

    /// <summary>
    /// Creates the thread for <paramref name="first"/>, not started yet: the caller tracks the request first, as Python
    /// appends its thread before <c>start()</c>. With no <paramref name="park"/>, it ends after that request.
    /// </summary>
    public RequestThread(ParkedThreads? park, RequestWork first)
    {
        _park = park;
        _next = first;
        Thread = new Thread(Main)
        {
            IsBackground = first.Daemon,
            Name = first.Name,
        };
    }

    /// <summary>The thread itself.</summary>
    public Thread Thread { get; }

    /// <summary>Starts the thread.</summary>
    /// <exception cref="OutOfMemoryException">The thread could not start (on Linux, often out of descriptors).</exception>
    public void Start() =>
        // The request's own captured context is applied per request; the thread itself starts clean.
        Thread.UnsafeStart();

    /// <summary>Hands a parked thread its next request (it was taken off the park by the caller).</summary>
    public void Hand(RequestWork work)
    {
        // Set from here, before the request can start, as Thread.daemon is set before start(): a foreground request
        // must keep the process alive from the moment it is handed over.
        if (Thread.IsBackground != work.Daemon)
        {
            Thread.IsBackground = work.Daemon;
        }

        lock (_gate)
        {
            _next = work;
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>Tells a parked thread to end (it was taken off the park by the caller).</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _exit = true;
            Monitor.Pulse(_gate);
        }
    }

    private void Main()
    {
        // The default context of a thread started without flow: what a request runs in when its dispatcher had
        // suppressed the flow, so that what it sets is still undone afterwards.
        ExecutionContext baseContext = ExecutionContext.Capture()!;
        RequestWork? work = TakeNext();
        bool first = true;
        while (work is not null)
        {
            if (!first)
            {
                Thread.Name = work.Name;
            }

            first = false;
            try
            {
                ExecutionContext.Run(work.Context ?? baseContext, s_runInContext, work);
            }
            finally
            {
                Reset();
                work.Complete();
            }

            work = _park?.Park(this) == true ? WaitForNext() : null;
        }
    }

    private static void Run(RequestWork work)
    {
        BaseServer server = work.Server;
        try
        {
            server.Pipeline.FinishOnThread(work.Request, work.ClientAddress);
        }
        finally
        {
            if (work.Prepared is not null)
            {
                server.Pipeline.Handoffs.Withdraw(work.Request);
            }
        }
    }

    /// <summary>What a request may have changed on its thread that the execution context does not carry.</summary>
    private void Reset()
    {
        if (Thread.Priority != ThreadPriority.Normal)
        {
            Thread.Priority = ThreadPriority.Normal;
        }

        // Parked, a thread never keeps the process alive.
        if (!Thread.IsBackground)
        {
            Thread.IsBackground = true;
        }
    }

    private RequestWork? TakeNext()
    {
        lock (_gate)
        {
            return TakeNextLocked();
        }
    }

    /// <summary>Waits on the park for the next request; null when the thread is to end (idle too long, or closed).</summary>
    private RequestWork? WaitForNext()
    {
        bool timedOut = false;
        lock (_gate)
        {
            while (_next is null && !_exit && !timedOut)
            {
                timedOut = !Monitor.Wait(_gate, _park!.IdleTimeout);
            }

            if (!timedOut || _next is not null)
            {
                return TakeNextLocked();
            }
        }

        if (_park!.Unpark(this))
        {
            // Idle too long, and nobody took it off the park meanwhile: end.
            return null;
        }

        lock (_gate)
        {
            // A dispatcher took it off the park just as it timed out: its request is on the way.
            while (_next is null && !_exit)
            {
                Monitor.Wait(_gate);
            }

            return TakeNextLocked();
        }
    }

    private RequestWork? TakeNextLocked()
    {
        RequestWork? next = _next;
        _next = null;
        return next;
    }
}
