namespace SocketServer.Cli.Bench;

/// <summary>What the live display shows after each sample: the run so far.</summary>
/// <param name="Elapsed">Seconds since measuring started.</param>
/// <param name="Messages">Messages (connections, in connrate mode) measured so far.</param>
/// <param name="MessagesPerSecond">The rate over the last interval.</param>
/// <param name="P50">The median round trip so far, in microseconds; <see langword="null"/> in idle mode or before the first.</param>
/// <param name="P99">The 99th percentile so far, likewise.</param>
/// <param name="Errors">Errors counted so far, warm-up included (as in the final report).</param>
internal sealed record LiveSample(double Elapsed, long Messages, double MessagesPerSecond, double? P50, double? P99, long Errors);
