namespace SocketServer.Cli.Bench;

/// <summary>One point of the latency distribution's percentile curve, for the HTML report's chart.</summary>
/// <param name="Percentile">The percentile, from 0 to below 100.</param>
/// <param name="Microseconds">The round-trip time at or below which that share of the round trips took.</param>
internal sealed record PercentilePoint(double Percentile, double Microseconds);
