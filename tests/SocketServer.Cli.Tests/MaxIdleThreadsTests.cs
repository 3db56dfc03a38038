using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// <c>serve --mode threading --max-idle-threads N</c>: 0 is Python's new thread per request, and it serves python3 on
/// every kind of listener, one client after another (each request's thread ends instead of waiting for the next);
/// without <c>--mode threading</c> the option is refused in one line. That the value reaches the servers is
/// <see cref="ServerFactoryTests.MaxIdleThreadsReachesEveryThreadingServer"/>: which thread serves a request is not
/// visible from outside.
/// </summary>
public sealed class MaxIdleThreadsTests
{
    private static string Peer(string name) => Path.Combine(AppContext.BaseDirectory, "peers", name);

    public static TheoryData<string> Kinds() => [.. ServerCases.Kinds];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ZeroServesEchoToPythonClientAfterClient(string kind)
    {
        string python = Tools.Require("python3");
        using var directory = new TempDirectory();
        using CliProcess cli = CliProcess.Start(["serve", "echo", .. ServerCases.ListenerArguments(kind, directory), "--mode", "threading", "--max-idle-threads", "0"]);
        ReadyAddress address = Assert.Single(cli.WaitUntilListening());
        string target = kind is "tcp" or "udp" ? $"{address.Host}:{address.Port}" : address.Path;

        for (int i = 0; i < 3; i++)
        {
            string message = $"hello {i} from python over {kind}, a new thread each time\n";
            ToolRun run = ToolRun.Run(python, [Peer("echo_client.py"), kind, target, message]);
            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Equal(message, run.Stdout);
        }

        Assert.Equal(0, cli.Stop());
    }

    [Theory]
    [InlineData("sync")]
    [InlineData("forking")]
    [InlineData("async")]
    [InlineData(null)]
    public void WithoutThreadingModeIsAUsageError(string? mode)
    {
        string[] modeArguments = mode is null ? [] : ["--mode", mode];
        ToolRun run = CliProcess.Run(["serve", "echo", "--tcp", "127.0.0.1:0", .. modeArguments, "--max-idle-threads", "4"]);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Empty(run.Stdout);
        Assert.Equal(
            "socketserver: --max-idle-threads sets how many request threads --mode threading keeps; add --mode threading (the other modes have no request threads to keep).\nRun 'socketserver serve --help' for usage.\n",
            run.Stderr.ReplaceLineEndings("\n"));
    }
}
