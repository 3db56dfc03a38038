using System.Globalization;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>The acceptance: <c>socketserver serve echo</c> answers OpenBSD netcat on every kind of listener.</summary>
public sealed class NetcatPeerTests
{
    [Theory]
    [MemberData(nameof(ServerCases.KindsAndModes), MemberType = typeof(ServerCases))]
    public void EchoAnswersNetcat(string kind, string mode)
    {
        string nc = Tools.Require("nc");
        using var directory = new TempDirectory();
        (CliProcess cli, ReadyAddress address) = ServerCases.StartServer("echo", kind, mode, directory);
        using (cli)
        {
            string message = $"hello from nc over {kind} ({mode})\n";
            string reply = PeerExchange.Run(nc, Arguments(kind, address), message, message, ServerCases.IsDatagram(kind));

            Assert.Equal(message, reply);
            Assert.Equal(0, cli.Stop());
        }
    }

    [Fact]
    public void TimestampAnswersNetcatOverTcp()
    {
        string nc = Tools.Require("nc");
        using var directory = new TempDirectory();
        (CliProcess cli, ReadyAddress address) = ServerCases.StartServer("timestamp", "tcp", "sync", directory);
        using (cli)
        {
            ToolRun run = ToolRun.Run(nc, Arguments("tcp", address), "hello\r\n");

            Assert.Equal(0, run.ExitCode);
            Assert.Matches(TimestampFormat.Reply, run.Stdout.Trim());
            Assert.Equal(0, cli.Stop());
        }
    }

    // -N shuts the connection down at the end of input, so nc ends when the server closes; -u/-U pick the socket.
    // For -uU, netcat-openbsd binds a temporary path of its own, so the server has an address to reply to.
    private static string[] Arguments(string kind, ReadyAddress address) => kind switch
    {
        "tcp" => ["-N", address.Host, address.Port.ToString(CultureInfo.InvariantCulture)],
        "udp" => ["-u", address.Host, address.Port.ToString(CultureInfo.InvariantCulture)],
        "unix" => ["-N", "-U", address.Path],
        _ => ["-u", "-U", address.Path],
    };
}
