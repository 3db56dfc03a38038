using System.Globalization;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// <c>serve echo --mode async --transport io_uring</c> (the benchmark suite's <c>ss-async-uring</c> row) answers python3
/// and nc over TCP and Unix sockets. Where this machine cannot use io_uring the server says so in one warning and
/// serves on epoll: the test then reports Skipped with that line, rather than passing on the fallback.
/// </summary>
public sealed class IoUringServeTests
{
    private const string FallbackLine = "serving on epoll instead of io_uring";

    private static string Peer(string name) => Path.Combine(AppContext.BaseDirectory, "peers", name);

    [Theory]
    [InlineData("tcp")]
    [InlineData("unix")]
    public void EchoOnIoUringAnswersPythonAndNetcat(string kind)
    {
        string python = Tools.Require("python3");
        string nc = Tools.Require("nc");
        using var directory = new TempDirectory();
        using CliProcess cli = CliProcess.Start(["serve", "echo", .. ServerCases.ListenerArguments(kind, directory), "--mode", "async", "--transport", "io_uring"]);
        ReadyAddress address = Assert.Single(cli.WaitUntilListening());

        string message = $"hello from python over {kind} on io_uring\n";
        string target = kind == "tcp" ? $"{address.Host}:{address.Port}" : address.Path;
        ToolRun run = ToolRun.Run(python, [Peer("echo_client.py"), kind, target, message]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(message, run.Stdout);

        string[] ncArguments = kind == "tcp"
            ? ["-N", address.Host, address.Port.ToString(CultureInfo.InvariantCulture)]
            : ["-N", "-U", address.Path];
        string line = $"hello from nc over {kind} on io_uring\n";
        Assert.Equal(line, PeerExchange.Run(nc, ncArguments, line, line, datagram: false));

        Assert.Equal(0, cli.Stop());
        string stderr = cli.Process.Stderr;
        string? fallback = stderr.Split('\n').FirstOrDefault(l => l.Contains(FallbackLine, StringComparison.Ordinal));
        Assert.SkipWhen(fallback is not null, $"io_uring is unavailable here, the server served on epoll: {fallback}");
        Assert.DoesNotContain("io_uring", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void TransportWithoutAsyncModeIsAUsageError()
    {
        ToolRun run = CliProcess.Run("serve", "echo", "--tcp", "127.0.0.1:0", "--transport", "io_uring");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Empty(run.Stdout);
        Assert.StartsWith("socketserver: --transport chooses the engine of --mode async; add --mode async", run.Stderr, StringComparison.Ordinal);
    }
}
