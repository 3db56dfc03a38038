using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SocketServer.Internal;
using SocketServer.Internal.Requests;

namespace SocketServer;

public abstract partial class BaseServer
{
    private static readonly TimeSpan s_defaultPollInterval = TimeSpan.FromSeconds(0.5);

    // Python's __is_shut_down event and __shutdown_request flag, with the same life cycle: they outlive a run (a
    // shutdown requested after the loop returned stays latched for the next one).
    private readonly ManualResetEventSlim _isShutDown = new(initialState: false);
    private volatile bool _shutdownRequest;
    private volatile ServeRun? _run;
    private readonly List<Socket> _selectList = new(2);

    /// <summary>Handles requests until <see cref="Shutdown"/> is called, checking for shutdown every half second.</summary>
    public void ServeForever() => ServeForever(s_defaultPollInterval);

    /// <summary>Handles requests until <see cref="Shutdown"/> is called.</summary>
    /// <param name="pollInterval">
    /// How often the loop wakes to call <see cref="ServiceActions"/> when no request comes;
    /// <see langword="null"/> waits for a request for ever.
    /// </param>
    /// <remarks>
    /// <see cref="Shutdown"/> and <see cref="ServerClose"/> wake the loop at once, whatever the interval
    /// (Python waits up to <paramref name="pollInterval"/>: CPython issue gh-88932). Once shutdown is
    /// requested, a request that arrived meanwhile is not served (bpo-35017).
    /// </remarks>
    /// <exception cref="InvalidOperationException">The server is already serving (<see cref="ServeForever()"/> or <see cref="ServeAsync"/> on another thread).</exception>
    /// <exception cref="DescriptorLimitException">The descriptor limit leaves too few descriptors free to serve a connection.</exception>
    public void ServeForever(TimeSpan? pollInterval)
    {
        if (_dispatcher.TryServeAsWorker(this))
        {
            return;
        }

        // Under a descriptor limit that leaves no room for connections, refuse at once rather than fail on the first.
        DescriptorLimits.EnsureHeadroom(DescriptorLimits.ServingHeadroom);
        ServeRun run = BeginRun(Environment.CurrentManagedThreadId);
        LoopWaker? waker = null;
        try
        {
            // Without loopback there is no waker: Shutdown then takes effect at the next poll, as in Python.
            waker = LoopWaker.TryCreate();
            run.AttachWaker(waker);
            // Publish the waker before reading the flag; Shutdown sets the flag before reading the waker. With both
            // fences one of the two sides always sees the other, so no wake-up is lost.
            Interlocked.MemoryBarrier();
            run.MarkServing();
            Diagnostics.ServingStarted("ServeForever");
            while (!_shutdownRequest && !IsClosed)
            {
                if (PauseAtConnectionLimit(pollInterval, waker))
                {
                    // At ServerLimits.MaxConnections: the surplus waits in the backlog until a connection ends.
                    if (!_shutdownRequest && !IsClosed)
                    {
                        ServiceActions();
                    }

                    continue;
                }

                bool ready = WaitForRequest(pollInterval, waker);
                // bpo-35017: a shutdown requested while we waited wins over a request that arrived.
                if (_shutdownRequest || IsClosed)
                {
                    break;
                }

                if (ready)
                {
                    HandleRequestNoBlock();
                }

                ServiceActions();
                if (Pipeline.PendingAcceptPause is { } pause)
                {
                    // Out of descriptors: the socket stays readable, so waiting on it would spin. Pause instead,
                    // still woken at once by Shutdown or ServerClose.
                    PauseAccepting(pause, waker);
                }
            }
        }
        finally
        {
            EndRun(run);
            waker?.Dispose();
        }
    }

    /// <summary>Stops <see cref="ServeForever()"/> and waits until it has returned.</summary>
    /// <remarks>
    /// <para>
    /// Call it from another thread than the one running <see cref="ServeForever()"/>. Python deadlocks when it is
    /// called on that thread (for example from a synchronous handler); this throws
    /// <see cref="InvalidOperationException"/> instead. Called before <see cref="ServeForever()"/> starts, it
    /// waits for the loop to start and stop. If no loop ever runs, it waits for ever, as in Python.
    /// </para>
    /// <para>
    /// Called after the loop has returned, it returns at once and the request stays latched: the next
    /// <see cref="ServeForever()"/> returns immediately (Python's behaviour, kept on purpose).
    /// </para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">Called on the thread running <see cref="ServeForever()"/>.</exception>
    public void Shutdown()
    {
        if (_run is { } running && running.IsOnItsOwnThread())
        {
            throw new InvalidOperationException(running.LoopThreadId != 0
                ? "Shutdown() was called on the thread running ServeForever() and would wait for itself for ever. " +
                  "Call it from another thread, or use a threading server so handlers run on their own threads."
                : "Shutdown() was called on an event loop of ServeAsync() and would wait for itself for ever. " +
                  "Cancel ServeAsync's token instead, or call Shutdown() from another thread (e.g. Task.Run).");
        }

        RequestStop();
        _isShutDown.Wait();
    }

    /// <summary>
    /// Handles one request, waiting at most <see cref="Timeout"/> for it; when none comes in time it calls
    /// <see cref="HandleTimeout"/> and returns.
    /// </summary>
    /// <exception cref="ServerExitException">A handler asked the server to exit.</exception>
    public void HandleRequest()
    {
        if (_dispatcher.TryServeAsWorker(this))
        {
            return;
        }

        TimeSpan? timeout = EffectiveTimeout();
        long deadline = timeout is { } t ? Stopwatch.GetTimestamp() + (long)(t.TotalSeconds * Stopwatch.Frequency) : 0;
        while (true)
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            if (WaitForRequest(timeout, waker: null))
            {
                HandleRequestNoBlock();
                return;
            }

            if (timeout is not null)
            {
                timeout = Stopwatch.GetElapsedTime(deadline, Stopwatch.GetTimestamp()).Negate();
                if (timeout < TimeSpan.Zero)
                {
                    HandleTimeout();
                    return;
                }
            }
        }
    }

    internal bool IsShutdownRequested => _shutdownRequest;

    internal TimeSpan? PendingAcceptPause => Pipeline.PendingAcceptPause;

    /// <summary>Python's <c>_handle_request_noblock</c>: get one ready request, then the request pipeline's first half.</summary>
    internal void HandleRequestNoBlock()
    {
        object request;
        EndPoint? clientAddress;
        try
        {
            (request, clientAddress) = GetRequest();
        }
        catch (Exception e) when (SocketErrors.IsSocketLevel(e))
        {
            // As in Python, a failed accept is no request; running out of descriptors also pauses the loop.
            Pipeline.AcceptFailed(e);
            return;
        }

        Pipeline.Accept(request, clientAddress);
    }

    /// <summary>Waits until the socket is readable, the timeout passes, or the loop is woken.</summary>
    /// <returns>Whether a request is ready.</returns>
    internal virtual bool WaitForRequest(TimeSpan? timeout, LoopWaker? waker)
    {
        Socket socket = Socket;
        lock (_selectList)
        {
            _selectList.Clear();
            _selectList.Add(socket);
            if (waker is not null)
            {
                _selectList.Add(waker.Socket);
            }

            try
            {
                Socket.Select(_selectList, null, null, ToMicroseconds(timeout));
            }
            catch (ObjectDisposedException) when (IsClosed)
            {
                return false;
            }

            if (waker is not null && _selectList.Contains(waker.Socket))
            {
                waker.Drain();
            }

            return _selectList.Contains(socket);
        }
    }

    /// <summary>
    /// Starts a run of <see cref="ServeForever()"/> (<paramref name="loopThreadId"/> its thread) or of
    /// <see cref="ServeAsync"/> (0). One at a time: a second would race the first for the same socket.
    /// </summary>
    private ServeRun BeginRun(int loopThreadId)
    {
        var run = new ServeRun(loopThreadId);
        if (Interlocked.CompareExchange(ref _run, run, null) is not null)
        {
            throw new InvalidOperationException("The server is already serving (ServeForever or ServeAsync on another thread); stop that run first.");
        }

        _isShutDown.Reset();
        return run;
    }

    /// <summary>Ends a run: the shutdown request is consumed, <see cref="Shutdown"/> returns, and the server may serve again.</summary>
    private void EndRun(ServeRun run)
    {
        if (run.State != ServeRunState.Starting)
        {
            Diagnostics.ServingStopped();
        }

        run.MarkEnded();
        _shutdownRequest = false;
        Interlocked.CompareExchange(ref _run, null, run);
        _isShutDown.Set();
    }

    /// <summary>Asks the run in progress to stop without waiting, or latches the request for the next run.</summary>
    private void RequestStop()
    {
        _shutdownRequest = true;
        // The loop publishes its waker (or session) before reading the flag: with both fences neither side misses the other.
        Interlocked.MemoryBarrier();
        _run?.RequestStop();
    }

    internal string FormattedAddress => EndPointFormatter.Format(ServerAddress, IsClosed ? SocketType.Stream : Socket.SocketType);

    /// <summary>Waits out an accept pause; only Shutdown or ServerClose (through the waker) cut it short.</summary>
    internal virtual void PauseAccepting(TimeSpan pause, LoopWaker? waker)
    {
        if (waker is null)
        {
            Thread.Sleep(pause);
            return;
        }

        lock (_selectList)
        {
            _selectList.Clear();
            _selectList.Add(waker.Socket);
            Socket.Select(_selectList, null, null, ToMicroseconds(pause));
        }
    }

    private TimeSpan? EffectiveTimeout()
    {
        // Python reads socket.gettimeout() first; a listening .NET socket's ReceiveTimeout is the nearest thing.
        int socketTimeoutMs = IsClosed ? 0 : Socket.ReceiveTimeout;
        TimeSpan? socketTimeout = socketTimeoutMs > 0 ? TimeSpan.FromMilliseconds(socketTimeoutMs) : null;
        if (socketTimeout is null)
        {
            return Timeout;
        }

        return Timeout is { } own && own < socketTimeout ? own : socketTimeout;
    }

    private static int ToMicroseconds(TimeSpan? timeout)
    {
        if (timeout is not { } t)
        {
            return -1;
        }

        // Socket.Select takes an int of microseconds (about 35 minutes at most); a longer wait is cut to that.
        double micros = Math.Max(0, t.TotalMicroseconds);
        return micros >= int.MaxValue ? int.MaxValue : (int)micros;
    }
}
