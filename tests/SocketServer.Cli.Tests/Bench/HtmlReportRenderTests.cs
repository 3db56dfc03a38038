using SocketServer.Cli.Bench;

namespace SocketServer.Cli.Tests.Bench;

/// <summary>The HTML report and its charts from made-up reports: escaping, the charts a run gets, and the axis ticks.</summary>
public sealed class HtmlReportRenderTests
{
    [Fact]
    public void TextFromTheRunIsEscaped()
    {
        string html = Render(Report("unix:/tmp/<b>&\"x\"", errorsInSecondTwo: 0));

        Assert.Contains("unix:/tmp/&lt;b&gt;&amp;&quot;x&quot;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ARunWithErrorsGetsAnErrorsChartAndOneWithoutDoesNot()
    {
        string clean = Render(Report("tcp://127.0.0.1:7", errorsInSecondTwo: 0));
        string failing = Render(Report("tcp://127.0.0.1:7", errorsInSecondTwo: 5));

        Assert.Equal(3, Count(clean, "<svg"));
        Assert.DoesNotContain("<h2>Errors", clean, StringComparison.Ordinal);
        Assert.Equal(4, Count(failing, "<svg"));
        Assert.Contains("<h2>Errors", failing, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(12, 10, new double[] { 0, 2, 4, 6, 8, 10, 12 })]
    [InlineData(73_000, 5, new double[] { 0, 20_000, 40_000, 60_000, 80_000 })]
    [InlineData(3, 10, new double[] { 0, 0.5, 1, 1.5, 2, 2.5, 3 })]
    [InlineData(0, 5, new double[] { 0, 0.2, 0.4, 0.6, 0.8, 1 })]
    public void TicksStepByOneTwoOrFiveTimesAPowerOfTen(double max, int count, double[] expected)
    {
        Assert.Equal(expected, SvgChart.NiceTicks(max, count));
    }

    private static string Render(BenchReport report)
    {
        BenchOptions options = new(
            BenchMode.PingPong, BenchTarget.Parse(BenchMode.PingPong, "tcp://127.0.0.1:7"), 2, 32, 1, TimeSpan.FromSeconds(3), TimeSpan.Zero, null);
        return HtmlReport.Render(report, options, DateTimeOffset.UnixEpoch);
    }

    private static BenchReport Report(string target, long errorsInSecondTwo)
    {
        LatencyReport latency = new(100, 150, 300, 900, 1200);
        TimeSeriesPoint[] series =
        [
            new(1, 1, 1000, 1000, 0, latency),
            new(2, 1, 900, 900, errorsInSecondTwo, latency),
            new(3, 1, 1100, 1100, 0, latency),
        ];
        return new BenchReport(
            "pingpong", target, 2, 32, 1, 0, 3, 3000, 1000, 0.03, ErrorCounts.From([errorsInSecondTwo, 0, 0, 0, 0]), latency, 0.5, 16.7, null, series)
        {
            LatencyDistribution = [new(0, 80), new(50, 100), new(90, 150), new(99, 300), new(99.9, 900)],
        };
    }

    private static int Count(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
