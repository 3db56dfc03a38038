using System.Globalization;
using SocketServer.Internal.Async;
using SocketServer.Internal.Limits;
using SocketServer.Internal.Requests;

namespace SocketServer;

public abstract partial class BaseServer
{
    /// <summary>How long a drain waits, after aborting what was left, for the aborted handlers to return.</summary>
    private static readonly TimeSpan s_abortedHandlersWait = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Stops the server gracefully, in four steps: stop accepting (the serve loop returns, as after
    /// <see cref="Shutdown"/>), close idle connections at once (a handler waiting for the first byte of a new line or
    /// read sees the end of the stream), let requests in progress finish, and when <paramref name="gracePeriod"/> ends
    /// abort what is left (their blocked reads and writes fail with <see cref="ConnectionLimitException"/>).
    /// </summary>
    /// <param name="gracePeriod">How long requests in progress may take to finish, on <see cref="TimeProvider"/>.</param>
    /// <param name="cancellationToken">Cancelling it ends the grace period at once: what is left is aborted.</param>
    /// <returns>How many requests completed, how many connections were closed as idle, and how many were aborted.</returns>
    /// <remarks>
    /// <para>
    /// <see cref="HealthState"/> becomes <see cref="HealthState.Drain"/> (unless it is <see cref="HealthState.Maint"/>)
    /// before anything else. It does not close the listening socket: call <see cref="ServerClose"/> afterwards, as after <see cref="Shutdown"/>
    /// (clients that connected meanwhile wait in the backlog until then). Unlike <see cref="Shutdown"/> it may be called
    /// from any thread, and returns at once when no loop is running; the request to stop stays latched for the next
    /// <see cref="ServeForever()"/>, as Python's does.
    /// </para>
    /// <para>
    /// The synchronous and threading stream servers drain as described, and so does a running <see cref="ServeAsync"/>:
    /// it stops accepting, its idle connections (an async handler waiting in a read helper with nothing buffered) see
    /// the end of the stream, and once the connections are done or aborted it stops, so its task completes. A forking
    /// server stops accepting, then waits for its busy workers to finish their requests and kills (SIGKILL) those still
    /// busy when the grace period ends: they are counted as completed or aborted. Datagram requests are not tracked.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gracePeriod"/> is negative.</exception>
    public async Task<DrainResult> ShutdownAsync(TimeSpan gracePeriod, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(gracePeriod, TimeSpan.Zero);
        // First, so that an agent check asked from now on tells the load balancer to send no one new.
        EnterDrainState();
        TimeProvider time = TimeProvider;
        long started = time.GetTimestamp();
        ConnectionTracker connections = Connections;
        // Under ServeAsync the session stops accepting first, then stops (below) once its connections are done.
        IServeSession? session = _run?.Session;
        session?.StopAccepting();
        (List<ConnectionState> open, int closedIdle) = connections.BeginDrain();
        try
        {
            Task loopEnded = session is null ? RequestLoopStop() : Task.CompletedTask;
            Task finished = Task.WhenAll(loopEnded, connections.WhenEmpty());
            bool cutShort = false;
            if (!finished.IsCompleted)
            {
                using var graceEnded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                Task grace = Task.Delay(gracePeriod, time, graceEnded.Token);
                await Task.WhenAny(finished, grace).ConfigureAwait(false);
                // Canceled, not run out: the caller's token ended the grace period early.
                cutShort = grace.IsCanceled;
                await graceEnded.CancelAsync().ConfigureAwait(false);
            }

            if (!finished.IsCompleted)
            {
                connections.AbortAll(
                    "DrainGracePeriod",
                    cutShort
                        ? string.Create(CultureInfo.InvariantCulture, $"The server is shutting down and its drain was cut short after {time.GetElapsedTime(started).TotalSeconds:0.###} s (of a {gracePeriod.TotalSeconds:0.###} s grace period) before this request finished.")
                        : string.Create(CultureInfo.InvariantCulture, $"The server is shutting down and the drain's grace period ({gracePeriod.TotalSeconds:0.###} s) ended before this request did."));
                try
                {
                    // Aborted handlers fail at their next read or write; one that ignores that is not waited for long.
                    await finished.WaitAsync(s_abortedHandlersWait, CancellationToken.None).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                }
            }
        }
        finally
        {
            if (session is not null)
            {
                await StopDrainedSessionAsync(session).ConfigureAwait(false);
            }

            connections.EndDrain();
        }

        // A forking server's requests run in its workers: they get what is left of the grace period.
        (int workersCompleted, int workersAborted) = await _dispatcher.DrainAsync(this, gracePeriod - time.GetElapsedTime(started), time, cancellationToken).ConfigureAwait(false);

        // A request in progress that finished and then waited for another was closed as idle too: it counts as completed.
        int aborted = open.Count(static c => c.WasAborted);
        return new DrainResult(open.Count - closedIdle - aborted + workersCompleted, closedIdle, aborted + workersAborted, time.GetElapsedTime(started));
    }

    /// <summary>Ends a drained <see cref="ServeAsync"/>: what is still open is ended as when it stops; its task completes.</summary>
    private static async Task StopDrainedSessionAsync(IServeSession session)
    {
        session.RequestStop();
        try
        {
            await session.Completion.WaitAsync(s_abortedHandlersWait, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or ServerExitException)
        {
            // ServeAsync's own task reports a ServerExitException; a session that does not stop in time is not waited for.
        }
    }

    /// <summary>Asks the serve loop to stop without waiting on this thread; completes when it has returned.</summary>
    private Task RequestLoopStop()
    {
        ServeRun? run = _run;
        RequestStop();
        return run?.Ended ?? Task.CompletedTask;
    }
}
