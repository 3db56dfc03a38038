using System.Net;
using System.Net.Sockets;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests.Bench;

/// <summary>
/// bench against servers that are not echo servers, both the real CLI: a run in which nothing came back, or the
/// replies differed, is a failure with its own exit code and one line on standard error saying why.
/// </summary>
public sealed class BenchNotEchoedTests
{
    [Fact]
    public void AServerThatNeverAnswersIsExitCode5NotASuccess()
    {
        // A listening socket that never accepts: the kernel completes the connections and takes the bytes, and nothing
        // ever comes back, as from a server that only reads.
        using Socket silent = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        silent.Listen(16);
        string target = $"tcp://127.0.0.1:{((IPEndPoint)silent.LocalEndPoint!).Port}";

        ToolRun run = CliProcess.Run("bench", "pingpong", "--target", target, "-d", "0.5", "--warmup", "0", "-c", "2");

        Assert.Equal(ExitCodes.NotEchoed, run.ExitCode);
        Assert.Equal($"socketserver: nothing came back from {target}: not one message made the round trip; is it an echo server?\n", run.Stderr);
        Assert.Contains("\nmessages    0 (0.0/s)\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("\nerrors      0 (", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void RepliesThatDoNotMatchAreExitCode5()
    {
        // The timestamp server answers each datagram, but with the time in front: not an echo.
        using CliProcess server = CliProcess.Start("serve", "timestamp", "--udp", "127.0.0.1:0");
        string target = Assert.Single(server.WaitUntilListening()).Uri;

        ToolRun run = CliProcess.Run("bench", "udp", "--target", target, "-d", "0.5", "--warmup", "0", "-c", "1", "--json");

        Assert.Equal(ExitCodes.NotEchoed, run.ExitCode);
        Assert.Matches($@"^socketserver: the replies from {System.Text.RegularExpressions.Regex.Escape(target)} did not match what was sent \(\d+ mismatched\); is it an echo server\?\n$", run.Stderr);
        Assert.StartsWith("{\"mode\":\"udp\"", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, server.Stop());
    }
}
