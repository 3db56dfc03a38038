using System.Globalization;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>Python 3 clients (tests/peers) talk to the CLI: echo on every kind of listener, and the seed's timestamp client.</summary>
public sealed class PythonPeerTests
{
    private static string Peer(string name) => Path.Combine(AppContext.BaseDirectory, "peers", name);

    [Theory]
    [MemberData(nameof(ServerCases.KindsAndModes), MemberType = typeof(ServerCases))]
    public void EchoAnswersPythonClient(string kind, string mode)
    {
        string python = Tools.Require("python3");
        using var directory = new TempDirectory();
        (CliProcess cli, ReadyAddress address) = ServerCases.StartServer("echo", kind, mode, directory);
        using (cli)
        {
            string message = $"hello from python over {kind} ({mode})\n";
            string target = kind is "tcp" or "udp" ? $"{address.Host}:{address.Port}" : address.Path;

            ToolRun run = ToolRun.Run(python, [Peer("echo_client.py"), kind, target, message]);

            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Equal(message, run.Stdout);
            Assert.Equal(0, cli.Stop());
        }
    }

    [Theory]
    [InlineData("sync")]
    [InlineData("threading")]
    [InlineData("async")]
    public void TimestampClientGetsCtimeStampedReplies(string mode)
    {
        string python = Tools.Require("python3");
        using var directory = new TempDirectory();
        (CliProcess cli, ReadyAddress address) = ServerCases.StartServer("timestamp", "tcp", mode, directory);
        using (cli)
        {
            string port = address.Port.ToString(CultureInfo.InvariantCulture);

            // Each line is a new connection; the empty line ends the client, so "not sent" is never sent.
            ToolRun run = ToolRun.Run(python, [Peer("timestamp_client.py"), address.Host, port], "hello\nhello again\n\nnot sent\n");

            Assert.True(run.ExitCode == 0, run.Stderr);
            string[] replies = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, replies.Length);
            Assert.Matches(TimestampFormat.Reply + "$", replies[0]);
            Assert.Matches(TimestampFormat.Reply + " again$", replies[1]);
            Assert.Equal(0, cli.Stop());
        }
    }
}
