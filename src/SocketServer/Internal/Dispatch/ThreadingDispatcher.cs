using System.Net;
using SocketServer.Internal;
using SocketServer.Internal.Requests;

namespace SocketServer.Internal.Dispatch;

/// <summary>
/// Python's <c>ThreadingMixIn</c>: each request on a dedicated thread of its own, named <c>Thread-N</c>, a new one or
/// one parked after an earlier request (<see cref="ParkedThreads"/>, up to the server's <c>MaxIdleThreads</c>).
/// </summary>
internal sealed class ThreadingDispatcher : RequestDispatcher
{
    private static int s_threadNumber;
    private ThreadSet? _threads;
    private ParkedThreads? _parked;

    /// <summary>How many requests are tracked for joining (for tests of the reaping).</summary>
    internal int TrackedThreadCount => _threads?.Count ?? 0;

    /// <summary>How many request threads are parked, waiting for a request (for tests).</summary>
    internal int ParkedThreadCount => _parked?.Count ?? 0;

    /// <summary>How long a parked thread waits for a request before it ends; tests shorten it.</summary>
    internal TimeSpan ParkedThreadIdleTimeout { get; set; } = ParkedThreads.DefaultIdleTimeout;

    public override void ProcessRequest(BaseServer server, object request, EndPoint? clientAddress) =>
        Start(server, request, clientAddress, prepared: null);

    /// <summary>Ends the parked threads, then, with <c>BlockOnClose</c>, waits for the tracked requests.</summary>
    public override void ServerClosed(BaseServer server)
    {
        _parked?.Close();
        _threads?.Join();
    }

    /// <summary>
    /// Runs the request's second half on a request thread with this server's settings (<c>DaemonThreads</c>,
    /// <c>BlockOnClose</c>, <c>MaxIdleThreads</c>), <paramref name="prepared"/> offered to its <c>FinishRequest</c>
    /// when a dispatcher built the handler already (a synchronous handler under <c>ServeAsync</c>).
    /// </summary>
    public void Start(BaseServer server, object request, EndPoint? clientAddress, PreparedRequest? prepared)
    {
        var settings = (IThreadingServer)server;
        // Python gives the instance its own _Threads only when block_on_close is set; otherwise nothing is tracked.
        ThreadSet? threads = settings.BlockOnClose ? LazyInitializer.EnsureInitialized(ref _threads) : null;
        ParkedThreads? parked = settings.MaxIdleThreads > 0
            ? LazyInitializer.EnsureInitialized(ref _parked, () => new ParkedThreads(settings) { IdleTimeout = ParkedThreadIdleTimeout })
            : _parked;
        StartThread(server, request, clientAddress, settings.DaemonThreads, threads, prepared, parked);
    }

    /// <summary>
    /// Runs the request pipeline's second half on a request thread: one taken from <paramref name="parked"/>, or a new
    /// one, which parks there after the request when it may. Servers that are not threading servers use it too, for
    /// the synchronous handlers they serve under <c>ServeAsync</c> (daemon threads, not joined, not parked).
    /// </summary>
    /// <exception cref="RequestThreadStartException">The thread could not start (out of descriptors or memory).</exception>
    public static void StartThread(BaseServer server, object request, EndPoint? clientAddress, bool daemon, ThreadSet? threads, PreparedRequest? prepared, ParkedThreads? parked = null)
    {
        // Numbered per request, as Python numbers the thread it creates for each.
        var work = new RequestWork(server, request, clientAddress, prepared, $"Thread-{Interlocked.Increment(ref s_threadNumber)}", daemon);
        RequestThread? idle = parked?.TakeIdle();
        RequestThread thread = idle ?? new RequestThread(parked, work);
        work.Thread = thread.Thread;
        // As Python appends the thread before start().
        threads?.Append(work);
        if (prepared is not null)
        {
            server.Pipeline.Handoffs.Offer(request, prepared);
        }

        if (idle is not null)
        {
            idle.Hand(work);
            return;
        }

        try
        {
            thread.Start();
        }
        catch (OutOfMemoryException e)
        {
            if (prepared is not null)
            {
                server.Pipeline.Handoffs.Withdraw(request);
            }

            work.Complete();
            throw new RequestThreadStartException(e);
        }
    }
}
