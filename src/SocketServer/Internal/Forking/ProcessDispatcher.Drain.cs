namespace SocketServer.Internal.Forking;

internal sealed partial class ProcessDispatcher
{
    public override Task<(int Completed, int Aborted)> DrainAsync(BaseServer server, TimeSpan grace, TimeProvider time, CancellationToken token) =>
        DrainWorkersAsync((IForkingServer)server, grace, time, token);

    /// <summary>
    /// The forking part of a graceful drain: waits until every worker busy now has reported its request finished (its
    /// status byte), for at most <paramref name="grace"/> on <paramref name="time"/>, then kills the ones still busy
    /// (SIGKILL; the client's connection ends with the process). Cancelling <paramref name="token"/> ends the grace
    /// period at once.
    /// </summary>
    /// <returns>
    /// How many of the busy workers serving a connection finished their request, and how many were killed before they
    /// did. Workers serving a datagram are waited for and killed alike but not counted: a drain counts connections.
    /// </returns>
    public async Task<(int Completed, int Aborted)> DrainWorkersAsync(IForkingServer settings, TimeSpan grace, TimeProvider time, CancellationToken token)
    {
        // Statuses already sent are read first, so that a request that ended before the drain began is not counted.
        // Only if the lock is free (the loop has stopped, as it normally has by now): the loop may be holding it while
        // it waits for these very workers (MaxChildren), and only the kill below would let it go. So which workers are
        // busy is also read without the lock, and before the first await.
        if (_lock.TryEnter())
        {
            try
            {
                _workers.ForEach(static w => w.Poll());
            }
            finally
            {
                _lock.Exit();
            }
        }

        ChildWorker[] busy = [.. _liveWorkers.Where(static w => w.Busy && !w.Gone)];
        if (busy.Length == 0)
        {
            return (0, 0);
        }

        // A thread of its own: the wait blocks in select(2) on the channels, as CollectChildren does.
        Task finished = Task.Factory.StartNew(
            () => WaitWhileBusy(busy, settings), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        using (var graceEnded = CancellationTokenSource.CreateLinkedTokenSource(token))
        {
            Task delay = Task.Delay(grace > TimeSpan.Zero ? grace : TimeSpan.Zero, time, graceEnded.Token);
            await Task.WhenAny(finished, delay).ConfigureAwait(false);
            await graceEnded.CancelAsync().ConfigureAwait(false);
        }

        if (!finished.IsCompleted)
        {
            foreach (ChildWorker worker in busy.Where(static w => w.Busy && !w.Gone))
            {
                worker.AbortForDrain();
            }
        }

        // A killed worker's channel ends at once, which ends the wait.
        await finished.ConfigureAwait(false);
        // A worker whose status came back completed, even if the kill crossed it on its way out.
        return (busy.Count(static w => w.ServesConnection && !w.Busy), busy.Count(static w => w.ServesConnection && w.Busy && w.AbortedByDrain));
    }

    private void WaitWhileBusy(ChildWorker[] busy, IForkingServer settings)
    {
        lock (_lock)
        {
            // Reap reads the statuses, marks ended channels, and kills workers over MaxRequestDuration meanwhile.
            Reap(settings);
            while (busy.Any(static w => w.Busy && !w.Gone))
            {
                WaitForChannels(busy.Where(static w => w.Busy && !w.Gone), settings);
                Reap(settings);
            }
        }
    }
}
