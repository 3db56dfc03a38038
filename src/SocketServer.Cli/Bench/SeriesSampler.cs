using System.Diagnostics;

namespace SocketServer.Cli.Bench;

/// <summary>
/// Samples the workers' counters and latency histograms once a second while a run measures, and turns each second
/// into a <see cref="TimeSeriesPoint"/> (and a <see cref="LiveSample"/> for the display).
/// </summary>
/// <remarks>
/// Nothing is added to the message path: the workers keep incrementing their plain counters and recording into their
/// own histograms, and this reads them from its own thread. A count read while its worker is incrementing it may be
/// one message behind, which only moves that message into the next second. A second's latencies are the difference
/// between two sums of the workers' cumulative histograms. The cost is on this thread: one pass over each worker's
/// histogram (25,600 counts, about 20 µs) per second, so a few milliseconds a second for the sockets engine with a
/// hundred connections, and next to nothing for the reactor engine, which keeps one histogram per event loop.
/// </remarks>
internal sealed class SeriesSampler
{
    /// <summary>A last interval shorter than this is folded into the one before, so the series has no stub point.</summary>
    private const double ShortestLastInterval = 0.25;

    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    private readonly BenchState _state;
    private readonly IBenchMonitor? _monitor;
    private readonly long _measuredFrom;
    private readonly bool _latency;
    private readonly List<TimeSeriesPoint> _points = [];

    // Holds one interval's latencies (or, for the display, everything so far) to read percentiles from.
    private readonly SampledHistogram _percentiles = new();

    // The workers' histograms summed, count by count, at the start of the last point (_beforeLast) and at its end
    // (_last); _next is filled by the next sample. They rotate, so a run allocates three however long it is.
    private long[] _beforeLast;
    private long[] _last;
    private long[] _next;
    private Totals _atBeforeLast;
    private Totals _atLast;

    /// <summary>Takes the baseline when measuring starts.</summary>
    /// <param name="state">The run.</param>
    /// <param name="measuredFrom">When measuring started (<see cref="Stopwatch.GetTimestamp"/>).</param>
    /// <param name="monitor">Told about every sample, or <see langword="null"/>.</param>
    public SeriesSampler(BenchState state, long measuredFrom, IBenchMonitor? monitor)
    {
        _state = state;
        _monitor = monitor;
        _measuredFrom = measuredFrom;

        // Idle mode keeps its few latencies in lists, which cannot be read while they grow: its points have counts only.
        _latency = state.Options.Mode != BenchMode.Idle;
        int length = _latency ? _percentiles.Length : 0;
        (_beforeLast, _last, _next) = (new long[length], new long[length], new long[length]);
        _atLast = Read(_last, measuredFrom);
        _atBeforeLast = _atLast;
    }

    /// <summary>The points so far; complete once <see cref="Finish"/> has run.</summary>
    public IReadOnlyList<TimeSeriesPoint> Points => _points;

    /// <summary>Samples at every whole second of the measured window until <paramref name="workers"/> completes.</summary>
    /// <param name="workers">Completes when every worker has ended.</param>
    /// <returns>A task that completes after the last whole-second sample; <see cref="Finish"/> takes the remainder.</returns>
    public async Task SampleEverySecondAsync(Task workers)
    {
        using CancellationTokenSource ended = new();
        for (int second = 1; ; second++)
        {
            // Each due time is counted from the start, so a late wake-up does not shift the seconds after it.
            TimeSpan due = (Period * second) - Stopwatch.GetElapsedTime(_measuredFrom);
            if (due > TimeSpan.Zero)
            {
                Task delay = Task.Delay(due, ended.Token);
                if (await Task.WhenAny(workers, delay).ConfigureAwait(false) == workers)
                {
                    // Cancels the pending delay so its timer does not outlive the run.
                    await ended.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }

            if (workers.IsCompleted)
            {
                return;
            }

            SampleAt(Stopwatch.GetTimestamp());
        }
    }

    /// <summary>Takes the sample that ends one interval; <see cref="SampleEverySecondAsync"/> calls it at each second.</summary>
    /// <param name="now">The interval's end (<see cref="Stopwatch.GetTimestamp"/>).</param>
    public void SampleAt(long now) => Sample(now, canFold: false);

    /// <summary>Takes the last sample, when every worker has ended, so the points add up to the run's totals.</summary>
    /// <param name="end">When measuring ended (<see cref="Stopwatch.GetTimestamp"/>).</param>
    public void Finish(long end)
    {
        if (end > _atLast.At)
        {
            Sample(end, canFold: true);
        }
    }

    private void Sample(long now, bool canFold)
    {
        Totals totals = Read(_next, now);
        bool fold = canFold && _points.Count > 0 && Stopwatch.GetElapsedTime(_atLast.At, now).TotalSeconds < ShortestLastInterval;

        // Folding replaces the last point by one from its start to now, so it is measured against its start.
        Totals from = fold ? _atBeforeLast : _atLast;
        double length = Stopwatch.GetElapsedTime(from.At, now).TotalSeconds;
        long messages = Math.Max(0, totals.Messages - from.Messages);
        TimeSeriesPoint point = new(
            fold ? _points.Count : _points.Count + 1,
            Math.Round(length, 3),
            messages,
            Math.Round(length > 0 ? messages / length : 0, 1),
            Math.Max(0, totals.Errors - from.Errors),
            _latency ? Percentiles(_next, fold ? _beforeLast : _last) : null);
        if (fold)
        {
            _points[^1] = point;
            (_last, _next) = (_next, _last);
        }
        else
        {
            _points.Add(point);
            (_beforeLast, _last, _next) = (_last, _next, _beforeLast);
            _atBeforeLast = _atLast;
        }

        _atLast = totals;
        if (_monitor is not null)
        {
            LatencyReport? soFar = _latency ? Percentiles(_last, []) : null;
            bool any = soFar is not null && totals.Messages > 0;
            _monitor.Sampled(new LiveSample(
                Stopwatch.GetElapsedTime(_measuredFrom, now).TotalSeconds,
                totals.Messages,
                point.MessagesPerSecond,
                any ? soFar!.P50 : null,
                any ? soFar!.P99 : null,
                totals.Errors));
        }
    }

    /// <summary>Sums every worker's counters, and its histogram into <paramref name="sums"/>.</summary>
    private Totals Read(long[] sums, long at)
    {
        Array.Clear(sums);
        long messages = 0;
        long errors = 0;
        foreach (WorkerStats stats in _state.AllStats())
        {
            messages += stats.SampleMessages();
            errors += stats.SampleErrors();
            if (_latency)
            {
                stats.Latency?.AddCountsTo(sums);
            }
        }

        return new Totals(at, messages, errors);
    }

    /// <summary>The percentiles of the round trips in <paramref name="now"/> beyond those in <paramref name="before"/>.</summary>
    private LatencyReport Percentiles(long[] now, long[] before)
    {
        _percentiles.SetDifference(now, before);
        return LatencyReport.From(_percentiles);
    }

    /// <summary>The workers' counters summed at one moment; errors since the run began, warm-up included.</summary>
    private readonly record struct Totals(long At, long Messages, long Errors);
}
