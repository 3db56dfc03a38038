using System.Diagnostics;
using SocketServer.Cli.Bench;

namespace SocketServer.Cli.Tests.Bench;

/// <summary>
/// The time series' sampler on made-up timestamps: each point counts only its own interval (messages, errors and
/// latencies), the points add up to the totals, and a short remainder at the end is folded into the last second.
/// </summary>
public sealed class SeriesSamplerTests
{
    private static readonly long Second = Stopwatch.Frequency;

    [Fact]
    public void EachPointHoldsOnlyItsOwnSecond()
    {
        (BenchState state, CancellationTokenSource stop) = NewRun(BenchMode.PingPong);
        using (stop)
        {
            WorkerStats first = state.NewStats();
            WorkerStats second = state.NewStats();
            const long start = 1_000_000;
            RecordingMonitor monitor = new();
            SeriesSampler sampler = new(state, start, monitor);
            state.StartMeasuring(start);

            RoundTrips(state, first, start, count: 300, microseconds: 100);
            sampler.SampleAt(start + Second);
            RoundTrips(state, second, start + Second, count: 100, microseconds: 10_000);
            second.Count(ErrorKind.Reset);
            sampler.SampleAt(start + (2 * Second));
            sampler.Finish(start + (3 * Second));

            Assert.Equal([1, 2, 3], sampler.Points.Select(static p => p.Second));
            Assert.Equal([300L, 100, 0], sampler.Points.Select(static p => p.Messages));
            Assert.Equal([0L, 1, 0], sampler.Points.Select(static p => p.Errors));
            Assert.Equal([1.0, 1.0, 1.0], sampler.Points.Select(static p => p.Seconds));
            Assert.Equal(300, sampler.Points[0].MessagesPerSecond);

            // HdrHistogram keeps three significant digits: 100 µs reads back as up to 100.1 µs.
            Assert.InRange(sampler.Points[0].LatencyMicroseconds!.P99, 100, 100.1);
            Assert.InRange(sampler.Points[1].LatencyMicroseconds!.P50, 10_000, 10_010);
            Assert.Equal(0, sampler.Points[2].LatencyMicroseconds!.P50);

            // The display sees the run so far: a 300 : 100 mix has its median at 100 µs and its p99 at 10 ms.
            LiveSample last = monitor.Samples[^1];
            Assert.Equal((400L, 1L), (last.Messages, last.Errors));
            Assert.InRange(last.P50!.Value, 100, 100.1);
            Assert.InRange(last.P99!.Value, 10_000, 10_010);
            Assert.Equal(3, monitor.Samples.Count);
        }
    }

    [Fact]
    public void AShortRemainderAtTheEndIsFoldedIntoTheLastSecond()
    {
        (BenchState state, CancellationTokenSource stop) = NewRun(BenchMode.PingPong);
        using (stop)
        {
            WorkerStats worker = state.NewStats();
            const long start = 5_000;
            SeriesSampler sampler = new(state, start, monitor: null);
            state.StartMeasuring(start);

            RoundTrips(state, worker, start, count: 10, microseconds: 50);
            sampler.SampleAt(start + Second);
            RoundTrips(state, worker, start + Second, count: 7, microseconds: 2_000);
            sampler.Finish(start + Second + (Second / 10));

            TimeSeriesPoint point = Assert.Single(sampler.Points);
            Assert.Equal((1, 1.1, 17L), (point.Second, point.Seconds, point.Messages));
            Assert.InRange(point.LatencyMicroseconds!.Max, 2_000, 2_002);
        }
    }

    [Fact]
    public void ALongerRemainderIsAPointOfItsOwn()
    {
        (BenchState state, CancellationTokenSource stop) = NewRun(BenchMode.PingPong);
        using (stop)
        {
            WorkerStats worker = state.NewStats();
            SeriesSampler sampler = new(state, 0, monitor: null);
            state.StartMeasuring(0);

            RoundTrips(state, worker, 0, count: 4, microseconds: 50);
            sampler.SampleAt(Second);
            RoundTrips(state, worker, Second, count: 2, microseconds: 50);
            sampler.Finish(Second + (Second / 2));

            Assert.Equal([(1, 1.0, 4L), (2, 0.5, 2L)], sampler.Points.Select(static p => (p.Second, p.Seconds, p.Messages)));
            Assert.Equal(4, sampler.Points[1].MessagesPerSecond);
        }
    }

    [Fact]
    public void IdleModeCountsConnectionsWithoutLatencies()
    {
        (BenchState state, CancellationTokenSource stop) = NewRun(BenchMode.Idle);
        using (stop)
        {
            WorkerStats[] connections = [state.NewStats(histogram: false), state.NewStats(histogram: false)];
            SeriesSampler sampler = new(state, 0, monitor: null);
            state.StartMeasuring(0);

            foreach (WorkerStats connection in connections)
            {
                connection.Record(Second / 1000, 32);
            }

            sampler.Finish(Second);

            TimeSeriesPoint point = Assert.Single(sampler.Points);
            Assert.Equal(2, point.Messages);
            Assert.Null(point.LatencyMicroseconds);
        }
    }

    private static (BenchState State, CancellationTokenSource Stop) NewRun(BenchMode mode)
    {
        BenchOptions options = new(
            mode, BenchTarget.Parse(mode, "tcp://127.0.0.1:9"), 2, 32, 1, TimeSpan.FromSeconds(10), TimeSpan.Zero, null);
        CancellationTokenSource stop = new();
        return (new BenchState(options, stop), stop);
    }

    private static void RoundTrips(BenchState state, WorkerStats stats, long sentAt, int count, long microseconds)
    {
        long ticks = microseconds * Stopwatch.Frequency / 1_000_000;
        for (int i = 0; i < count; i++)
        {
            state.Record(stats, sentAt, sentAt + ticks, 32);
        }
    }

    private sealed class RecordingMonitor : IBenchMonitor
    {
        public List<LiveSample> Samples { get; } = [];

        public void WarmingUp(TimeSpan warmup)
        {
        }

        public void Measuring(TimeSpan duration)
        {
        }

        public void Sampled(LiveSample sample) => Samples.Add(sample);
    }
}
