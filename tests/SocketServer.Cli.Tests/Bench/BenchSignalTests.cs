using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests.Bench;

/// <summary>The bench process stopped early by a signal still reports, and exits by its errors, not by the signal.</summary>
public sealed class BenchSignalTests
{
    [Theory]
    [InlineData(Signals.SIGTERM)]
    [InlineData(Signals.SIGINT)]
    public void ASignalEndsTheRunAndTheReportIsStillPrinted(int signal)
    {
        NotifyingEchoHandler.Served.Reset();
        using InProcessServer server = InProcessServer.Tcp<NotifyingEchoHandler>();
        using CliProcess cli = CliProcess.Start("bench", "pingpong", "--target", server.Target, "-d", "600", "--warmup", "0", "-c", "2");

        // bench handles signals before it connects, so once a connection is served the signal is its to handle.
        Assert.True(NotifyingEchoHandler.Served.Wait(TestTimeouts.Long), $"bench never connected. stderr: {cli.Process.Stderr}");
        int exitCode = cli.Stop(signal);

        Assert.True(exitCode == 0, $"exit {exitCode}; stdout: {cli.Process.Stdout} stderr: {cli.Process.Stderr}");
        Assert.Contains("\nerrors      0 (", cli.Process.Stdout, StringComparison.Ordinal);
        Assert.StartsWith("target      pingpong ", cli.Process.Stdout, StringComparison.Ordinal);
    }
}
