using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary><c>socketserver serve echo</c> answers socat on every kind of listener, in both modes.</summary>
public sealed class SocatPeerTests
{
    [Theory]
    [MemberData(nameof(ServerCases.KindsAndModes), MemberType = typeof(ServerCases))]
    public void EchoAnswersSocat(string kind, string mode)
    {
        string socat = Tools.Require("socat");
        using var directory = new TempDirectory();
        (CliProcess cli, ReadyAddress address) = ServerCases.StartServer("echo", kind, mode, directory);
        using (cli)
        {
            string message = $"hello from socat over {kind} ({mode})\n";
            string[] arguments = ["-", Address(kind, address, directory)];
            string reply = PeerExchange.Run(socat, arguments, message, message, ServerCases.IsDatagram(kind));

            Assert.Equal(message, reply);
            Assert.Equal(0, cli.Stop());
        }
    }

    // UNIX-SENDTO needs a bound client socket: the server replies to the sender's address.
    private static string Address(string kind, ReadyAddress address, TempDirectory directory) => kind switch
    {
        "tcp" => $"TCP:{address.Host}:{address.Port}",
        "udp" => $"UDP:{address.Host}:{address.Port}",
        "unix" => $"UNIX-CONNECT:{address.Path}",
        _ => $"UNIX-SENDTO:{address.Path},bind={directory.NewPath("client")}",
    };
}
