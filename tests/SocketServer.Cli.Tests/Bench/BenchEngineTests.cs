using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using SocketServer.Cli.Tests.Infrastructure;
using SocketServer.Protocols;

namespace SocketServer.Cli.Tests.Bench;

/// <summary>
/// Both engines of bench (<c>--engine reactor</c>, the epoll one, and <c>--engine sockets</c>, the .NET one) in every
/// mode against the library's own servers, and the reactor engine's error paths against broken ones. Short, bounded
/// runs; nothing here is about speed.
/// </summary>
public sealed class BenchEngineTests
{
    public static TheoryData<string, string> StreamModesAndEngines { get; } = Cross(["pingpong", "pipeline", "connrate", "idle"], Engines);

    private static string[] Engines => OperatingSystem.IsLinux() ? ["reactor", "sockets"] : ["sockets"];

    [Theory]
    [MemberData(nameof(StreamModesAndEngines))]
    public void EveryStreamModeVerifiesEchoesWithEitherEngine(string mode, string engine)
    {
        using InProcessServer server = InProcessServer.Tcp<EchoStreamHandler>();

        BenchRun run = BenchRun.Invoke(mode, "--target", server.Target, "--engine", engine, "-d", "1", "--warmup", "0", "-c", "5", "-p", "3", "-s", "100", "--json");

        JsonElement report = AssertClean(run);
        if (mode == "idle")
        {
            Assert.Equal(5, report.GetProperty("idle").GetProperty("open").GetInt32());
            Assert.Equal(5, report.GetProperty("messages").GetInt64());
        }
    }

    [Theory]
    [InlineData("reactor")]
    [InlineData("sockets")]
    public void UdpVerifiesDatagramsWithEitherEngine(string engine)
    {
        SkipUnlessSupported(engine);
        using InProcessServer server = InProcessServer.Udp<EchoDatagramHandler>();

        BenchRun run = BenchRun.Invoke("udp", "--target", server.Target, "--engine", engine, "-d", "1", "--warmup", "0", "-c", "3", "--json");

        AssertClean(run);
    }

    [Theory]
    [InlineData("pingpong")]
    [InlineData("pipeline")]
    [InlineData("connrate")]
    public void TheReactorEngineRunsOverAUnixSocket(string mode)
    {
        SkipUnlessSupported("reactor");
        using var directory = new TempDirectory();
        using InProcessServer server = InProcessServer.Unix<EchoStreamHandler>(directory.NewPath());

        BenchRun run = BenchRun.Invoke(mode, "--target", server.Target, "--engine", "reactor", "-d", "1", "--warmup", "0", "-c", "3", "-s", "3000", "--json");

        AssertClean(run);
    }

    [Fact]
    public void TheReactorEngineConnectsToAnAbstractUnixSocket()
    {
        SkipUnlessSupported("reactor");
        using InProcessServer server = InProcessServer.UnixAbstract<EchoStreamHandler>($"socketserver-bench-{Guid.NewGuid():N}");

        BenchRun run = BenchRun.Invoke("pingpong", "--target", server.Target, "--engine", "reactor", "-d", "1", "--warmup", "0", "-c", "2", "--json");

        AssertClean(run);
    }

    [Fact]
    public void TheReactorEngineConnectsOverIPv6()
    {
        SkipUnlessSupported("reactor");
        using InProcessServer server = InProcessServer.Tcp6<EchoStreamHandler>();

        BenchRun run = BenchRun.Invoke("pingpong", "--target", server.Target, "--engine", "reactor", "-d", "1", "--warmup", "0", "-c", "2", "--json");

        AssertClean(run);
    }

    [Fact]
    public void LargeMessagesThatFillTheSocketBuffersComeBackWhole()
    {
        SkipUnlessSupported("reactor");
        using InProcessServer server = InProcessServer.Tcp<EchoStreamHandler>();

        // 8 x 256 KiB in flight per connection is more than the loopback buffers hold: sends stop short and resume.
        BenchRun run = BenchRun.Invoke("pipeline", "--target", server.Target, "--engine", "reactor", "-d", "30", "--warmup", "0", "-c", "2", "-s", "262144", "-p", "8", "-n", "64", "--json");

        Assert.Equal(64, AssertClean(run).GetProperty("messages").GetInt64());
    }

    [Theory]
    [InlineData("pingpong")]
    [InlineData("pipeline")]
    public void TheReactorEngineStopsAtExactlyMaxMessages(string mode)
    {
        SkipUnlessSupported("reactor");
        using InProcessServer server = InProcessServer.Tcp<EchoStreamHandler>();

        BenchRun run = BenchRun.Invoke(mode, "--target", server.Target, "--engine", "reactor", "-d", "30", "--warmup", "0", "-c", "3", "-n", "700", "--json");

        Assert.Equal(700, AssertClean(run).GetProperty("messages").GetInt64());
    }

    [Theory]
    [InlineData("pingpong")]
    [InlineData("pipeline")]
    [InlineData("idle")]
    public void ACorruptedByteIsAMismatchForTheReactorEngine(string mode)
    {
        SkipUnlessSupported("reactor");
        using InProcessServer server = InProcessServer.Tcp<CorruptingEchoHandler>();

        BenchRun run = BenchRun.Invoke(mode, "--target", server.Target, "--engine", "reactor", "-d", "30", "--warmup", "0", "-c", "3", "--json");

        // Each connection stops at its first mismatch, so the run ends long before -d.
        Assert.Equal(ExitCodes.NotEchoed, run.ExitCode);
        JsonElement report = run.Json();
        Assert.Equal(3, report.GetProperty("errors").GetProperty("mismatch").GetInt64());
        Assert.Equal(3, report.GetProperty("errors").GetProperty("total").GetInt64());
        Assert.Equal(0, report.GetProperty("messages").GetInt64());
    }

    [Fact]
    public void ACorruptedConnRateEchoIsAMismatchAndTheWorkersGoOn()
    {
        SkipUnlessSupported("reactor");
        using InProcessServer server = InProcessServer.Tcp<CorruptingEchoHandler>();

        BenchRun run = BenchRun.Invoke("connrate", "--target", server.Target, "--engine", "reactor", "-d", "1", "--warmup", "0", "-c", "2", "--json");

        Assert.Equal(ExitCodes.NotEchoed, run.ExitCode);
        JsonElement errors = run.Json().GetProperty("errors");
        // One per connection, and a worker opens another after each.
        Assert.True(errors.GetProperty("mismatch").GetInt64() > 2, run.Stdout);
        Assert.Equal(errors.GetProperty("mismatch").GetInt64(), errors.GetProperty("total").GetInt64());
    }

    [Fact]
    public void ACorruptedDatagramIsAMismatchForTheReactorEngine()
    {
        SkipUnlessSupported("reactor");
        using InProcessServer server = InProcessServer.Udp<CorruptingDatagramHandler>();

        BenchRun run = BenchRun.Invoke("udp", "--target", server.Target, "--engine", "reactor", "-d", "1", "--warmup", "0", "-c", "2", "--json");

        Assert.Equal(ExitCodes.NotEchoed, run.ExitCode);
        JsonElement report = run.Json();
        Assert.True(report.GetProperty("errors").GetProperty("mismatch").GetInt64() > 0, run.Stdout);
        Assert.Equal(0, report.GetProperty("errors").GetProperty("timeout").GetInt64());
        Assert.Equal(0, report.GetProperty("messages").GetInt64());
    }

    [Theory]
    [InlineData("pingpong")]
    [InlineData("pipeline")]
    [InlineData("idle")]
    public void AResetIsCountedForTheReactorEngine(string mode)
    {
        SkipUnlessSupported("reactor");
        using InProcessServer server = InProcessServer.Tcp<ResettingHandler>();

        BenchRun run = BenchRun.Invoke(mode, "--target", server.Target, "--engine", "reactor", "-d", "30", "--warmup", "0", "-c", "3", "--json");

        Assert.Equal(ExitCodes.LoadErrors, run.ExitCode);
        JsonElement errors = run.Json().GetProperty("errors");
        Assert.Equal(3, errors.GetProperty("reset").GetInt64());
        Assert.Equal(3, errors.GetProperty("total").GetInt64());
    }

    [Theory]
    [InlineData("pingpong")]
    [InlineData("pipeline")]
    [InlineData("idle")]
    public void ARefusedConnectionIsAConnectErrorForTheReactorEngine(string mode)
    {
        SkipUnlessSupported("reactor");
        using Socket refusing = RefusingPort(out string target);

        BenchRun run = BenchRun.Invoke(mode, "--target", target, "--engine", "reactor", "-d", "30", "--warmup", "0", "-c", "4", "--json");

        // Every connection fails at once, so the run ends long before -d.
        Assert.Equal(ExitCodes.LoadErrors, run.ExitCode);
        JsonElement errors = run.Json().GetProperty("errors");
        Assert.Equal(4, errors.GetProperty("connect").GetInt64());
        Assert.Equal(4, errors.GetProperty("total").GetInt64());
    }

    [Fact]
    public void ConnRateCountsEveryRefusedConnectionUntilTheDuration()
    {
        SkipUnlessSupported("reactor");
        using Socket refusing = RefusingPort(out string target);

        BenchRun run = BenchRun.Invoke("connrate", "--target", target, "--engine", "reactor", "-d", "0.5", "--warmup", "0", "-c", "2", "--json");

        Assert.Equal(ExitCodes.LoadErrors, run.ExitCode);
        JsonElement errors = run.Json().GetProperty("errors");
        Assert.True(errors.GetProperty("connect").GetInt64() > 2, run.Stdout);
        Assert.Equal(errors.GetProperty("connect").GetInt64(), errors.GetProperty("total").GetInt64());
    }

    [Fact]
    public void AnUnknownEngineIsAUsageError()
    {
        BenchRun run = BenchRun.Invoke("pingpong", "--target", "tcp://127.0.0.1:7", "--engine", "turbo");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("turbo", run.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// A port that refuses every connection for as long as the returned socket lives: bound, never listening. Holding
    /// the bind matters: a port merely closed again could be taken by a parallel test, or picked by the kernel as the
    /// source port of one of the thousands of connects (a TCP self-connect, which succeeds), and either one turns a
    /// refusal into another kind of error.
    /// </summary>
    private static Socket RefusingPort(out string target)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        target = $"tcp://127.0.0.1:{((IPEndPoint)socket.LocalEndPoint!).Port}";
        return socket;
    }

    private static void SkipUnlessSupported(string engine)
    {
        if (engine == "reactor" && !OperatingSystem.IsLinux())
        {
            Assert.Skip("The reactor engine runs on Linux only.");
        }
    }

    private static JsonElement AssertClean(BenchRun run)
    {
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}; stdout: {run.Stdout} stderr: {run.Stderr}");
        Assert.Equal(string.Empty, run.Stderr);
        JsonElement report = run.Json();
        Assert.True(report.GetProperty("messages").GetInt64() > 0, run.Stdout);
        Assert.Equal(0, report.GetProperty("errors").GetProperty("total").GetInt64());
        return report;
    }

    private static TheoryData<string, string> Cross(string[] modes, string[] engines)
    {
        TheoryData<string, string> data = [];
        foreach (string mode in modes)
        {
            foreach (string engine in engines)
            {
                data.Add(mode, engine);
            }
        }

        return data;
    }
}
