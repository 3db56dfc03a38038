using System.Diagnostics;

namespace SocketServer.Cli.Bench;

/// <summary>What every worker of a run shares: the options, the pattern, the stop token and the measured window.</summary>
internal sealed class BenchState
{
    private readonly CancellationTokenSource _stop;
    private readonly List<WorkerStats> _stats = [];
    private long _measureFrom = long.MaxValue;
    private long _measured;

    /// <summary>Creates the shared state of a run.</summary>
    /// <param name="options">The run's options.</param>
    /// <param name="stop">Cancelled to stop every worker; the message bound cancels it too.</param>
    public BenchState(BenchOptions options, CancellationTokenSource stop)
    {
        Options = options;
        _stop = stop;
        Token = stop.Token;
        Pattern = new Pattern(options.MaxChunk);
    }

    /// <summary>The run's options.</summary>
    public BenchOptions Options { get; }

    /// <summary>The bytes to send and to expect back.</summary>
    public Pattern Pattern { get; }

    /// <summary>Cancelled when the run ends.</summary>
    public CancellationToken Token { get; }

    /// <summary>
    /// Creates a worker's statistics and keeps a reference to them, so the time series' sampler can read their
    /// counters while the run goes (once per worker, never per message).
    /// </summary>
    /// <param name="histogram">As for <see cref="WorkerStats(bool)"/>.</param>
    /// <returns>Empty statistics for one worker.</returns>
    public WorkerStats NewStats(bool histogram = true)
    {
        WorkerStats stats = new(histogram);
        lock (_stats)
        {
            _stats.Add(stats);
        }

        return stats;
    }

    /// <summary>Every worker's statistics created so far.</summary>
    /// <returns>A copy of the list, safe to walk while workers start.</returns>
    public WorkerStats[] AllStats()
    {
        lock (_stats)
        {
            return [.. _stats];
        }
    }

    /// <summary>Starts the measured window: round trips sent from <paramref name="timestamp"/> on are counted.</summary>
    /// <param name="timestamp">A <see cref="Stopwatch.GetTimestamp"/> value.</param>
    public void StartMeasuring(long timestamp) => Volatile.Write(ref _measureFrom, timestamp);

    /// <summary>Records a verified round trip if it was sent in the measured window, and applies the message bound.</summary>
    /// <param name="stats">The worker's statistics.</param>
    /// <param name="sentAt">When the message was sent (<see cref="Stopwatch.GetTimestamp"/>).</param>
    /// <param name="receivedAt">When its echo was verified.</param>
    /// <param name="bytes">Its payload size.</param>
    public void Record(WorkerStats stats, long sentAt, long receivedAt, int bytes)
    {
        if (sentAt < Volatile.Read(ref _measureFrom))
        {
            stats.CountUnmeasured();
            return;
        }

        if (Options.MaxMessages is not { } max)
        {
            stats.Record(receivedAt - sentAt, bytes);
            return;
        }

        long count = Interlocked.Increment(ref _measured);
        if (count <= max)
        {
            stats.Record(receivedAt - sentAt, bytes);
        }
        else
        {
            stats.CountUnmeasured();
        }

        if (count == max)
        {
            _stop.Cancel();
        }
    }
}
