using System.Text.Json;
using SocketServer.Cli.Tests.Infrastructure;
using SocketServer.Protocols;

namespace SocketServer.Cli.Tests.Bench;

/// <summary>bench against real echo servers of the library, each run short and bounded. Nothing here is about speed.</summary>
public sealed class BenchCommandTests
{
    private static readonly string[] ReportFields =
    [
        "mode", "target", "connections", "size", "pipeline", "warmupSeconds", "seconds", "messages",
        "messagesPerSecond", "mibPerSecond", "errors", "latencyMicroseconds", "cpuSeconds", "cpuPercent",
    ];

    private static readonly string[] ErrorFields = ["total", "connect", "reset", "mismatch", "timeout", "other"];

    private static readonly string[] LatencyFields = ["p50", "p90", "p99", "p999", "max"];

    [Theory]
    [InlineData("pingpong")]
    [InlineData("pipeline")]
    [InlineData("connrate")]
    [InlineData("idle")]
    public void StreamModesVerifyEchoesFromATcpServer(string mode)
    {
        using InProcessServer server = InProcessServer.Tcp<EchoStreamHandler>();

        BenchRun run = BenchRun.Invoke(mode, "--target", server.Target, "-d", "1", "--warmup", "0", "-c", "4", "-p", "4", "--json");

        JsonElement report = AssertCleanReport(run, mode, server.Target);
        if (mode == "idle")
        {
            JsonElement idle = report.GetProperty("idle");
            Assert.Equal(4, idle.GetProperty("opened").GetInt32());
            Assert.Equal(4, idle.GetProperty("open").GetInt32());
        }
        else
        {
            Assert.False(report.TryGetProperty("idle", out _));
        }

        Assert.Equal(mode == "pipeline" ? 4 : 1, report.GetProperty("pipeline").GetInt32());
    }

    [Fact]
    public void UdpModeVerifiesDatagramsFromAUdpServer()
    {
        using InProcessServer server = InProcessServer.Udp<EchoDatagramHandler>();

        BenchRun run = BenchRun.Invoke("udp", "--target", server.Target, "-d", "1", "--warmup", "0", "-c", "4", "--json");

        AssertCleanReport(run, "udp", server.Target);
    }

    [Fact]
    public void PingPongRunsOverAUnixSocket()
    {
        using var directory = new TempDirectory();
        using InProcessServer server = InProcessServer.Unix<EchoStreamHandler>(directory.NewPath());

        BenchRun run = BenchRun.Invoke("pipeline", "--target", server.Target, "-d", "1", "--warmup", "0", "-c", "2", "-s", "1000", "--json");

        AssertCleanReport(run, "pipeline", server.Target);
    }

    [Fact]
    public void MaxMessagesStopsTheRunAtExactlyThatManyMessages()
    {
        using InProcessServer server = InProcessServer.Tcp<EchoStreamHandler>();

        // -d is only the bound here: the message bound ends the run.
        BenchRun run = BenchRun.Invoke("pingpong", "--target", server.Target, "-d", "20", "--warmup", "0", "-c", "3", "-n", "500", "--json");

        JsonElement report = AssertCleanReport(run, "pingpong", server.Target);
        Assert.Equal(500, report.GetProperty("messages").GetInt64());
    }

    [Fact]
    public void TheDefaultReportIsAFewAlignedLines()
    {
        using InProcessServer server = InProcessServer.Tcp<EchoStreamHandler>();

        BenchRun run = BenchRun.Invoke("pingpong", "--target", server.Target, "-d", "5", "--warmup", "0", "-c", "2", "-n", "50");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(string.Empty, run.Stderr);
        string[] lines = run.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(["target", "measured", "messages", "throughput", "errors", "latency us", "cpu"], lines.Select(static l => l[..12].TrimEnd()));
        Assert.StartsWith("messages    50 (", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("errors      0 (", lines[4], StringComparison.Ordinal);
    }

    [Fact]
    public void ACorruptingServerIsCountedAsMismatchesAndExitsWithCode5()
    {
        using InProcessServer server = InProcessServer.Tcp<CorruptingEchoHandler>();

        BenchRun run = BenchRun.Invoke("pingpong", "--target", server.Target, "-d", "5", "--warmup", "0", "-c", "3", "--json");

        Assert.Equal(ExitCodes.NotEchoed, run.ExitCode);
        Assert.Equal($"socketserver: the replies from {server.Target} did not match what was sent (3 mismatched); is it an echo server?\n", run.Stderr.ReplaceLineEndings("\n"));
        JsonElement errors = run.Json().GetProperty("errors");
        // Each connection stops at its first mismatch, so the run ends long before -d.
        Assert.Equal(3, errors.GetProperty("mismatch").GetInt64());
        Assert.Equal(3, errors.GetProperty("total").GetInt64());
        Assert.Equal(0, run.Json().GetProperty("messages").GetInt64());
    }

    [Fact]
    public void ARefusedConnectionIsAConnectErrorAndExitsWithCode4()
    {
        string target;
        using (InProcessServer server = InProcessServer.Tcp<EchoStreamHandler>())
        {
            target = server.Target;
        }

        BenchRun run = BenchRun.Invoke("pingpong", "--target", target, "-d", "5", "--warmup", "0", "-c", "2", "--json");

        Assert.Equal(ExitCodes.LoadErrors, run.ExitCode);
        Assert.Equal(2, run.Json().GetProperty("errors").GetProperty("connect").GetInt64());
    }

    [Theory]
    [InlineData("pingpong", "nonsense")]
    [InlineData("pingpong", "udp://127.0.0.1:7")]
    [InlineData("udp", "tcp://127.0.0.1:7")]
    [InlineData("pingpong", "tcp://127.0.0.1:99999")]
    [InlineData("pingpong", "tcp://127.0.0.1:0")]
    public void ABadTargetIsExitCode2WithOneLineOnStderr(string mode, string target)
    {
        BenchRun run = BenchRun.Invoke(mode, "--target", target);

        Assert.Equal(ExitCodes.Address, run.ExitCode);
        Assert.Equal(string.Empty, run.Stdout);
        string line = Assert.Single(run.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("socketserver: Invalid --target value '", line, StringComparison.Ordinal);
    }

    [Fact]
    public void TheProcessExitsWith2AndOneStderrLineForABadTarget()
    {
        ToolRun run = CliProcess.Run("bench", "pingpong", "--target", "tcp:/127.0.0.1:80");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(string.Empty, run.Stdout);
        Assert.Equal(
            "socketserver: Invalid --target value 'tcp:/127.0.0.1:80': expected tcp://HOST:PORT, udp://HOST:PORT or unix:PATH.",
            Assert.Single(run.Stderr.TrimEnd('\n').Split('\n')));
    }

    private static JsonElement AssertCleanReport(BenchRun run, string mode, string target)
    {
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}; stdout: {run.Stdout} stderr: {run.Stderr}");
        Assert.Equal(string.Empty, run.Stderr);
        JsonElement report = run.Json();
        Assert.All(ReportFields, field => Assert.True(report.TryGetProperty(field, out _), $"missing '{field}' in {run.Stdout}"));
        Assert.Equal(mode, report.GetProperty("mode").GetString());
        Assert.Equal(target, report.GetProperty("target").GetString());
        Assert.True(report.GetProperty("messages").GetInt64() > 0, run.Stdout);
        Assert.True(report.GetProperty("seconds").GetDouble() > 0, run.Stdout);

        JsonElement errors = report.GetProperty("errors");
        Assert.All(ErrorFields, field => Assert.Equal(0, errors.GetProperty(field).GetInt64()));

        JsonElement latency = report.GetProperty("latencyMicroseconds");
        double[] percentiles = [.. LatencyFields.Select(field => latency.GetProperty(field).GetDouble())];
        Assert.True(percentiles[0] > 0, run.Stdout);
        Assert.True(percentiles.Zip(percentiles.Skip(1)).All(static pair => pair.First <= pair.Second), $"percentiles out of order: {run.Stdout}");
        return report;
    }
}
