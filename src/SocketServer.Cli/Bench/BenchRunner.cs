using System.Diagnostics;
using HdrHistogram;
using SocketServer.Cli.Bench.Reactor;

namespace SocketServer.Cli.Bench;

/// <summary>Runs the workers of one <c>bench</c> run and adds up what they saw.</summary>
internal static class BenchRunner
{
    /// <summary>
    /// Starts one worker per connection, lets them run through the warm-up, measures for the duration (or until the
    /// message bound), stops them and merges their statistics.
    /// </summary>
    /// <param name="options">What to run.</param>
    /// <param name="cancellationToken">Ends the run early (Ctrl-C); what was measured so far is still reported.</param>
    /// <param name="monitor">Shown the warm-up, the start of measuring and every second's sample; or <see langword="null"/>.</param>
    /// <returns>The report.</returns>
    public static async Task<BenchReport> RunAsync(BenchOptions options, CancellationToken cancellationToken, IBenchMonitor? monitor = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        BenchState state = new(options, stop);
        using Process self = Process.GetCurrentProcess();

        long measuredFrom = 0; // set by StartMeasuring
        TimeSpan cpuFrom = self.TotalProcessorTime;
        SeriesSampler? sampler = null;
        if (options.Warmup <= TimeSpan.Zero)
        {
            sampler = StartMeasuring();
        }
        else
        {
            monitor?.WarmingUp(options.Warmup);
        }

        Task<WorkerStats[]> all = options.Engine == BenchEngine.Reactor
            ? Task.Run(() => ReactorBench.RunAsync(state), CancellationToken.None)
            : StartSocketWorkers(state);
        if (sampler is null)
        {
            await Task.WhenAny(all, Task.Delay(options.Warmup, stop.Token)).ConfigureAwait(false);
            self.Refresh();
            cpuFrom = self.TotalProcessorTime;
            sampler = StartMeasuring();
        }

        Task sampling = sampler.SampleEverySecondAsync(all);
        WorkerStats[] results = await all.ConfigureAwait(false);
        long measuredTo = Stopwatch.GetTimestamp();
        self.Refresh();
        double cpuSeconds = (self.TotalProcessorTime - cpuFrom).TotalSeconds;
        await sampling.ConfigureAwait(false);
        sampler.Finish(measuredTo);
        double seconds = Stopwatch.GetElapsedTime(measuredFrom, measuredTo).TotalSeconds;
        return Report(options, results, seconds, cpuSeconds, sampler.Points);

        // The per-second series is read from the workers' counters by one task, off the message path. Its baseline is
        // taken before measuring starts, so no measured message is in it and its points add up to the report's totals.
        SeriesSampler StartMeasuring()
        {
            measuredFrom = Stopwatch.GetTimestamp();
            SeriesSampler measuring = new(state, measuredFrom, monitor);
            state.StartMeasuring(measuredFrom);
            stop.CancelAfter(options.Duration);
            monitor?.Measuring(options.Duration);
            return measuring;
        }
    }

    private static Task<WorkerStats[]> StartSocketWorkers(BenchState state)
    {
        Func<BenchState, int, Task<WorkerStats>> worker = Worker(state.Options.Mode);
        Task<WorkerStats>[] workers = new Task<WorkerStats>[state.Options.Connections];
        for (int i = 0; i < workers.Length; i++)
        {
            int id = i;
            workers[i] = Task.Run(() => worker(state, id), CancellationToken.None);
        }

        return Task.WhenAll(workers);
    }

    private static Func<BenchState, int, Task<WorkerStats>> Worker(BenchMode mode) => mode switch
    {
        BenchMode.PingPong => PingPongWorker.RunAsync,
        BenchMode.Pipeline => PipelineWorker.RunAsync,
        BenchMode.ConnRate => ConnRateWorker.RunAsync,
        BenchMode.Udp => UdpWorker.RunAsync,
        _ => IdleWorker.RunAsync,
    };

    private static BenchReport Report(BenchOptions options, WorkerStats[] results, double seconds, double cpuSeconds, IReadOnlyList<TimeSeriesPoint> series)
    {
        LongHistogram latency = WorkerStats.NewHistogram();
        long[] errors = new long[Enum.GetValues<ErrorKind>().Length];
        long messages = 0;
        long roundTrips = 0;
        long bytes = 0;
        foreach (WorkerStats stats in results)
        {
            if (stats.Latency is { } histogram)
            {
                latency.Add(histogram);
            }

            foreach (long value in stats.Values)
            {
                latency.RecordValue(value);
            }

            for (int kind = 0; kind < errors.Length; kind++)
            {
                errors[kind] += stats.Errors[kind];
            }

            messages += stats.Messages;
            roundTrips += stats.RoundTrips;
            bytes += stats.Bytes;
        }

        double perSecond = seconds > 0 ? 1 / seconds : 0;
        return new BenchReport(
            BenchModes.Name(options.Mode),
            options.Target.Text,
            options.Connections,
            options.Size,
            options.Mode == BenchMode.Pipeline ? options.Pipeline : 1,
            options.Warmup.TotalSeconds,
            Math.Round(seconds, 3),
            messages,
            Math.Round(messages * perSecond, 1),
            Math.Round(bytes * perSecond / (1024 * 1024), 3),
            ErrorCounts.From(errors),
            LatencyReport.From(latency),
            Math.Round(cpuSeconds, 3),
            Math.Round(seconds > 0 ? cpuSeconds * 100 / seconds : 0, 1),
            options.Mode == BenchMode.Idle
                ? new IdleReport(results.Count(static s => s.Opened), results.Count(static s => s.StayedOpen))
                : null,
            series)
        {
            LatencyDistribution = Distribution(latency),
            RoundTrips = roundTrips,
        };
    }

    /// <summary>The percentile curve of the merged histogram, for the HTML report: HdrHistogram's usual steps, halving the rest each time.</summary>
    private static PercentilePoint[] Distribution(LongHistogram latency)
    {
        if (latency.TotalCount == 0)
        {
            return [];
        }

        // Five steps per halving of what is left above the percentile, up to (not including) 100: the curve's right
        // end is drawn on a log scale of 1/(1 - p), where 100 would be infinitely far.
        return [.. latency.Percentiles(5)
            .Where(static value => value.PercentileLevelIteratedTo < 100)
            .Select(value => new PercentilePoint(value.PercentileLevelIteratedTo, Math.Round(latency.HighestEquivalentValue(value.ValueIteratedTo) / 1000.0, 3)))];
    }
}
