using System.Net;
using SocketServer.Internal;
using SocketServer.Internal.Requests;

namespace SocketServer.Internal.Dispatch;

/// <summary>Python's <c>ThreadingMixIn</c>: one new dedicated thread per request.</summary>
internal sealed class ThreadingDispatcher : RequestDispatcher
{
    private static int s_threadNumber;
    private ThreadSet? _threads;

    /// <summary>How many request threads are tracked for joining (for tests of the reaping).</summary>
    internal int TrackedThreadCount => _threads?.Count ?? 0;

    public override void ProcessRequest(BaseServer server, object request, EndPoint? clientAddress) =>
        Start(server, request, clientAddress, prepared: null);

    public override void ServerClosed(BaseServer server) => _threads?.Join();

    /// <summary>
    /// Runs the request's second half on a new thread with this server's settings (<c>DaemonThreads</c>,
    /// <c>BlockOnClose</c>), <paramref name="prepared"/> offered to its <c>FinishRequest</c> when a dispatcher built the
    /// handler already (a synchronous handler under <c>ServeAsync</c>).
    /// </summary>
    public void Start(BaseServer server, object request, EndPoint? clientAddress, PreparedRequest? prepared)
    {
        var settings = (IThreadingServer)server;
        // Python gives the instance its own _Threads only when block_on_close is set; otherwise nothing is tracked.
        ThreadSet? threads = settings.BlockOnClose ? LazyInitializer.EnsureInitialized(ref _threads) : null;
        StartThread(server, request, clientAddress, settings.DaemonThreads, threads, prepared);
    }

    /// <summary>
    /// Starts a new request thread (named as Python's, <c>Thread-N</c>) that runs the request pipeline's second half.
    /// Servers that are not threading servers use it too, for the synchronous handlers they serve under
    /// <c>ServeAsync</c> (as daemon threads, not joined).
    /// </summary>
    /// <exception cref="RequestThreadStartException">The thread could not start (out of descriptors or memory).</exception>
    public static void StartThread(BaseServer server, object request, EndPoint? clientAddress, bool daemon, ThreadSet? threads, PreparedRequest? prepared)
    {
        var thread = new Thread(() => Run(server, request, clientAddress, prepared))
        {
            IsBackground = daemon,
            Name = $"Thread-{Interlocked.Increment(ref s_threadNumber)}",
        };
        threads?.Append(thread);
        if (prepared is not null)
        {
            server.Pipeline.Handoffs.Offer(request, prepared);
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

            throw new RequestThreadStartException(e);
        }
    }

    private static void Run(BaseServer server, object request, EndPoint? clientAddress, PreparedRequest? prepared)
    {
        try
        {
            server.Pipeline.FinishOnThread(request, clientAddress);
        }
        finally
        {
            if (prepared is not null)
            {
                server.Pipeline.Handoffs.Withdraw(request);
            }
        }
    }
}
