using HdrHistogram;

namespace SocketServer.Cli.Bench;

/// <summary>Round-trip time percentiles in microseconds; all 0 when nothing was measured.</summary>
/// <param name="P50">The median.</param>
/// <param name="P90">The 90th percentile.</param>
/// <param name="P99">The 99th percentile.</param>
/// <param name="P999">The 99.9th percentile.</param>
/// <param name="Max">The longest round trip (at most 10 s: longer ones are recorded as 10 s).</param>
internal sealed record LatencyReport(double P50, double P90, double P99, double P999, double Max)
{
    /// <summary>Reads the percentiles of a histogram of nanoseconds.</summary>
    /// <param name="nanoseconds">The merged histogram.</param>
    /// <returns>The percentiles in microseconds.</returns>
    public static LatencyReport From(HistogramBase nanoseconds)
    {
        ArgumentNullException.ThrowIfNull(nanoseconds);
        if (nanoseconds.TotalCount == 0)
        {
            return new LatencyReport(0, 0, 0, 0, 0);
        }

        return new LatencyReport(
            Micro(nanoseconds.GetValueAtPercentile(50)),
            Micro(nanoseconds.GetValueAtPercentile(90)),
            Micro(nanoseconds.GetValueAtPercentile(99)),
            Micro(nanoseconds.GetValueAtPercentile(99.9)),
            Micro(nanoseconds.GetMaxValue()));
    }

    private static double Micro(long nanoseconds) => Math.Round(nanoseconds / 1000.0, 3);
}
