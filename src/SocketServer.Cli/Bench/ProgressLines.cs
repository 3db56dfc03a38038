using System.Globalization;

namespace SocketServer.Cli.Bench;

/// <summary>
/// The plain stand-in for <see cref="LiveDisplay"/> on a terminal that cannot redraw (no ANSI support, such as
/// <c>TERM=dumb</c>): one line on standard error per sample. Never used when standard error is not a terminal, so
/// logs and scripts see only the results.
/// </summary>
/// <param name="error">Standard error.</param>
/// <param name="mode">The run's mode, which names what is counted.</param>
internal sealed class ProgressLines(TextWriter error, BenchMode mode) : IBenchMonitor
{
    /// <inheritdoc/>
    public void WarmingUp(TimeSpan warmup) => Write(F($"bench: warming up for {warmup.TotalSeconds:0.###} s"));

    /// <inheritdoc/>
    public void Measuring(TimeSpan duration) => Write(F($"bench: measuring for up to {duration.TotalSeconds:0.###} s"));

    /// <inheritdoc/>
    public void Sampled(LiveSample sample)
    {
        string latency = sample.P50 is { } p50 && sample.P99 is { } p99 ? F($"  p50 {p50:0.0} us  p99 {p99:0.0} us") : string.Empty;
        string unit = mode == BenchMode.ConnRate ? "connections" : "messages";
        Write(F($"bench: {sample.Elapsed,5:0.0} s  {sample.Messages} {unit}  {sample.MessagesPerSecond:0}/s{latency}  errors {sample.Errors}"));
    }

    private void Write(string line)
    {
        error.WriteLine(line);
        error.Flush();
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
