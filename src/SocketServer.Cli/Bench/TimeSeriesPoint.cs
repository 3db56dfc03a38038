namespace SocketServer.Cli.Bench;

/// <summary>One interval (normally one second) of the measured window, as sampled while the run went.</summary>
/// <param name="Second">The interval's number: 1 for the first second of the measured window, 2 for the next, and so on.</param>
/// <param name="Seconds">
/// The interval's real length: about 1; the last one may be shorter, or up to 1.25 when a remainder under a quarter of a
/// second at the end was folded into it.
/// </param>
/// <param name="Messages">Verified round trips (connections, in connrate mode) completed in the interval.</param>
/// <param name="MessagesPerSecond"><paramref name="Messages"/> over <paramref name="Seconds"/>.</param>
/// <param name="Errors">Errors counted in the interval.</param>
/// <param name="LatencyMicroseconds">
/// Percentiles of the round trips completed in the interval; <see langword="null"/> (absent from the JSON) in idle
/// mode, which keeps no histogram, and all 0 when nothing completed.
/// </param>
internal sealed record TimeSeriesPoint(
    int Second,
    double Seconds,
    long Messages,
    double MessagesPerSecond,
    long Errors,
    LatencyReport? LatencyMicroseconds);
