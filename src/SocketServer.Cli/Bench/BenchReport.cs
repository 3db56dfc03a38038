using System.Text.Json.Serialization;

namespace SocketServer.Cli.Bench;

/// <summary>The result of a run, as printed (and as the JSON object of <c>--json</c>; see docs/cli.md).</summary>
/// <param name="Mode">The mode's name.</param>
/// <param name="Target">The target as given.</param>
/// <param name="Connections">Connections, sockets or workers.</param>
/// <param name="Size">Message size in bytes.</param>
/// <param name="Pipeline">Messages in flight per connection (1 outside pipeline mode).</param>
/// <param name="WarmupSeconds">The warm-up asked for.</param>
/// <param name="Seconds">The measured window's real length.</param>
/// <param name="Messages">Verified round trips sent in the window (connections, in connrate mode).</param>
/// <param name="MessagesPerSecond"><paramref name="Messages"/> over <paramref name="Seconds"/>.</param>
/// <param name="MibPerSecond">Payload sent per second in MiB (2^20 bytes), one way: the echo doubles it on the wire.</param>
/// <param name="Errors">The errors counted over the whole run, warm-up included.</param>
/// <param name="LatencyMicroseconds">Round-trip time percentiles.</param>
/// <param name="CpuSeconds">The generator's own processor time (user and system) in the window.</param>
/// <param name="CpuPercent"><paramref name="CpuSeconds"/> as a percentage of <paramref name="Seconds"/>; 100 is one core busy.</param>
/// <param name="Idle">In idle mode: how many connections were opened and how many stayed open; otherwise absent.</param>
/// <param name="TimeSeries">The measured window second by second, as sampled while the run went.</param>
internal sealed record BenchReport(
    string Mode,
    string Target,
    int Connections,
    int Size,
    int Pipeline,
    double WarmupSeconds,
    double Seconds,
    long Messages,
    double MessagesPerSecond,
    double MibPerSecond,
    ErrorCounts Errors,
    LatencyReport LatencyMicroseconds,
    double CpuSeconds,
    double CpuPercent,
    IdleReport? Idle,
    IReadOnlyList<TimeSeriesPoint> TimeSeries)
{
    /// <summary>The merged latency histogram's percentile curve, for the HTML report; not part of the JSON.</summary>
    [JsonIgnore]
    public IReadOnlyList<PercentilePoint> LatencyDistribution { get; init; } = [];

    /// <summary>
    /// Verified round trips over the whole run, warm-up included: 0 means the target never echoed. Not part of the
    /// report (the JSON object is an interface); it decides the exit code.
    /// </summary>
    [JsonIgnore]
    public long RoundTrips { get; init; }
}
