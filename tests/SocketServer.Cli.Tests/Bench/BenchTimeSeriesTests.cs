using System.Text.Json;
using SocketServer.Cli.Tests.Infrastructure;
using SocketServer.Protocols;

namespace SocketServer.Cli.Tests.Bench;

/// <summary>
/// bench as a process, as scripts run it: <c>--json</c> carries a point per second of the run, and without a terminal
/// the output is exactly the plain lines it always was, with nothing on standard error.
/// </summary>
public sealed class BenchTimeSeriesTests
{
    [Theory]
    [InlineData("pingpong", "reactor")]
    [InlineData("pipeline", "sockets")]
    [InlineData("connrate", "sockets")]
    public void TheJsonReportHasAPointForEachSecondThatAddUpToTheTotals(string mode, string engine)
    {
        Assert.SkipUnless(engine == "sockets" || OperatingSystem.IsLinux(), "The reactor engine runs on Linux only.");
        using InProcessServer server = InProcessServer.Tcp<EchoStreamHandler>();

        ToolRun run = CliProcess.Run("bench", mode, "--target", server.Target, "--engine", engine, "-d", "3", "--warmup", "0.5", "-c", "2", "--json");

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}; stdout: {run.Stdout} stderr: {run.Stderr}");
        Assert.Equal(string.Empty, run.Stderr);
        using JsonDocument document = JsonDocument.Parse(run.Stdout);
        JsonElement report = document.RootElement;
        JsonElement[] series = [.. report.GetProperty("timeSeries").EnumerateArray()];
        double seconds = report.GetProperty("seconds").GetDouble();
        Assert.InRange(series.Length, Math.Round(seconds) - 1, Math.Round(seconds) + 1);
        Assert.Equal(Enumerable.Range(1, series.Length), series.Select(static p => p.GetProperty("second").GetInt32()));
        Assert.Equal(report.GetProperty("messages").GetInt64(), series.Sum(static p => p.GetProperty("messages").GetInt64()));
        Assert.All(series, point =>
        {
            Assert.Equal(0, point.GetProperty("errors").GetInt64());
            Assert.True(point.GetProperty("seconds").GetDouble() > 0, point.ToString());
            if (point.GetProperty("messages").GetInt64() > 0)
            {
                JsonElement latency = point.GetProperty("latencyMicroseconds");
                Assert.True(latency.GetProperty("p50").GetDouble() > 0, point.ToString());
                Assert.True(latency.GetProperty("p50").GetDouble() <= latency.GetProperty("p99").GetDouble(), point.ToString());
            }
        });
    }

    [Fact]
    public void IdlePointsCountConnectionsAndCarryNoLatency()
    {
        using InProcessServer server = InProcessServer.Tcp<EchoStreamHandler>();

        ToolRun run = CliProcess.Run("bench", "idle", "--target", server.Target, "-d", "1", "--warmup", "0", "-c", "3", "--json");

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}; stdout: {run.Stdout} stderr: {run.Stderr}");
        using JsonDocument document = JsonDocument.Parse(run.Stdout);
        JsonElement[] series = [.. document.RootElement.GetProperty("timeSeries").EnumerateArray()];
        Assert.Equal(3, series.Sum(static p => p.GetProperty("messages").GetInt64()));
        Assert.All(series, static point => Assert.False(point.TryGetProperty("latencyMicroseconds", out _)));
    }

    [Fact]
    public void WithoutATerminalTheTextReportIsThePlainLinesAndStderrIsEmpty()
    {
        using InProcessServer server = InProcessServer.Tcp<EchoStreamHandler>();

        ToolRun run = CliProcess.Run("bench", "pingpong", "--target", server.Target, "-d", "2", "--warmup", "0", "-c", "2");

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}; stdout: {run.Stdout} stderr: {run.Stderr}");
        Assert.Equal(string.Empty, run.Stderr);
        string[] lines = run.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(["target", "measured", "messages", "throughput", "errors", "latency us", "cpu"], lines.Select(static l => l[..12].TrimEnd()));
        Assert.StartsWith($"target      pingpong {server.Target}, 2 connections, 32-byte messages", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', run.Stdout);
    }
}
