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
    /// <returns>The report.</returns>
    public static async Task<BenchReport> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        BenchState state = new(options, stop);
        using Process self = Process.GetCurrentProcess();

        long measuredFrom = Stopwatch.GetTimestamp();
        TimeSpan cpuFrom = self.TotalProcessorTime;
        if (options.Warmup <= TimeSpan.Zero)
        {
            state.StartMeasuring(measuredFrom);
            stop.CancelAfter(options.Duration);
        }

        Task<WorkerStats[]> all = options.Engine == BenchEngine.Reactor
            ? Task.Run(() => ReactorBench.RunAsync(state), CancellationToken.None)
            : StartSocketWorkers(state);
        if (options.Warmup > TimeSpan.Zero)
        {
            await Task.WhenAny(all, Task.Delay(options.Warmup, stop.Token)).ConfigureAwait(false);
            self.Refresh();
            cpuFrom = self.TotalProcessorTime;
            measuredFrom = Stopwatch.GetTimestamp();
            state.StartMeasuring(measuredFrom);
            stop.CancelAfter(options.Duration);
        }

        WorkerStats[] results = await all.ConfigureAwait(false);
        double seconds = Stopwatch.GetElapsedTime(measuredFrom).TotalSeconds;
        self.Refresh();
        double cpuSeconds = (self.TotalProcessorTime - cpuFrom).TotalSeconds;
        return Report(options, results, seconds, cpuSeconds);
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

    private static BenchReport Report(BenchOptions options, WorkerStats[] results, double seconds, double cpuSeconds)
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
                : null)
        {
            RoundTrips = roundTrips,
        };
    }
}
