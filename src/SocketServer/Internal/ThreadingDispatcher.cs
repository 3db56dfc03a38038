using System.Net;

namespace SocketServer.Internal;

/// <summary>Python's <c>ThreadingMixIn</c>: one new dedicated thread per request.</summary>
internal sealed class ThreadingDispatcher : RequestDispatcher
{
    private static int s_threadNumber;
    private ThreadSet? _threads;

    /// <summary>How many request threads are tracked for joining (for tests of the reaping).</summary>
    internal int TrackedThreadCount => _threads?.Count ?? 0;

    public override void ProcessRequest(BaseServer server, object request, EndPoint? clientAddress)
    {
        var settings = (IThreadingServer)server;
        // Python gives the instance its own _Threads only when block_on_close is set; otherwise nothing is tracked.
        ThreadSet? threads = settings.BlockOnClose ? LazyInitializer.EnsureInitialized(ref _threads) : null;
        var thread = new Thread(() => ProcessRequestThread(server, request, clientAddress))
        {
            IsBackground = settings.DaemonThreads,
            Name = $"Thread-{Interlocked.Increment(ref s_threadNumber)}",
        };
        threads?.Append(thread);
        try
        {
            thread.Start();
        }
        catch (OutOfMemoryException e)
        {
            throw new RequestThreadStartException(e);
        }
    }

    public override void ServerClosed(BaseServer server) => _threads?.Join();

    private static void ProcessRequestThread(BaseServer server, object request, EndPoint? clientAddress)
    {
        try
        {
            try
            {
                server.InvokeFinishRequest(request, clientAddress);
            }
            catch (Exception e) when (e is not ServerExitException)
            {
                // A connection the server cut for a limit was counted and reported then; it is no request error.
                if (!server.IsLimitFailure(request, e))
                {
                    server.InvokeHandleError(request, clientAddress, e);
                }
            }
            finally
            {
                server.InvokeShutdownRequest(request);
            }
        }
        catch (Exception e)
        {
            // An unhandled exception on a .NET thread ends the process; Python's excepthook only prints it.
            try
            {
                server.InvokeHandleThreadException(request, clientAddress, e);
            }
            catch (Exception hookFailure)
            {
                ErrorReport.WriteThreadException(Console.Error, clientAddress, hookFailure);
            }
        }
    }
}
