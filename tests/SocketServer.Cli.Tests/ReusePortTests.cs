using System.Net;
using System.Net.Sockets;
using System.Text;
using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary><c>serve --reuse-port</c>: two real processes on one TCP or UDP port, and the refusal without the flag.</summary>
public sealed class ReusePortTests
{
    // With two listeners in the group, the chance that this many connections (distinct source ports, hashed by the
    // kernel) all land on one process is 2^-63: the bound never decides the result of a correct server.
    private const int MaxConnections = 64;

    [Fact]
    public void TwoProcessesShareOneTcpPortAndBothServe()
    {
        RequireLinux();
        using CliProcess first = CliProcess.Start("serve", "echo", "--reuse-port", "--tcp", "127.0.0.1:0");
        ReadyAddress address = Assert.Single(first.WaitUntilListening());
        using CliProcess second = CliProcess.Start("serve", "echo", "--reuse-port", "--tcp", $"127.0.0.1:{address.Port}");
        Assert.Equal(address.Uri, Assert.Single(second.WaitUntilListening()).Uri);

        int[] pids = [first.Process.Id, second.Process.Id];
        var answeredBy = new HashSet<int>();
        for (int i = 0; i < MaxConnections && answeredBy.Count < 2; i++)
        {
            using Socket client = Clients.Connect(address.EndPoint);
            byte[] message = Encoding.ASCII.GetBytes($"hello {i}\n");
            client.Send(message);
            byte[] reply = new byte[message.Length];
            int got = 0;
            while (got < reply.Length)
            {
                int n = client.Receive(reply, got, reply.Length - got, SocketFlags.None);
                Assert.True(n > 0, "the server closed before echoing");
                got += n;
            }

            Assert.Equal(message, reply);
            // Echoed, so accepted: the accepted socket is in exactly one of the two processes.
            int? owner = SocketOwners.AcceptedBy((IPEndPoint)address.EndPoint, (IPEndPoint)client.LocalEndPoint!, pids);
            Assert.NotNull(owner);
            answeredBy.Add(owner.Value);
        }

        Assert.Equal(pids.Order(), answeredBy.Order());
        Assert.Equal(0, first.Stop());
        Assert.Equal(0, second.Stop());
        Assert.Equal("", first.Process.Stderr);
        Assert.Equal("", second.Process.Stderr);
    }

    [Fact]
    public void TwoProcessesShareOneUdpPortAndEachServesAlone()
    {
        RequireLinux();
        using var directory = new TempDirectory();
        using CliProcess first = CliProcess.Start("serve", "echo", "--reuse-port", "--udp", "127.0.0.1:0");
        ReadyAddress address = Assert.Single(first.WaitUntilListening());
        using CliProcess second = CliProcess.Start("serve", "echo", "--reuse-port", "--udp", $"127.0.0.1:{address.Port}");
        Assert.Equal(address.Uri, Assert.Single(second.WaitUntilListening()).Uri);

        // Datagrams carry no connection to trace to a process: each client socket (its own source port) is hashed to
        // one of the two, and every one is answered; then each process is shown to serve the port by itself.
        for (int i = 0; i < 16; i++)
        {
            byte[] message = Encoding.ASCII.GetBytes($"datagram {i}");
            Assert.Equal(message, Clients.DatagramRoundTrip(address.EndPoint, message, directory));
        }

        Assert.Equal(0, first.Stop());
        for (int i = 0; i < 8; i++)
        {
            byte[] message = Encoding.ASCII.GetBytes($"to the second {i}");
            Assert.Equal(message, Clients.DatagramRoundTrip(address.EndPoint, message, directory));
        }

        Assert.Equal(0, second.Stop());
    }

    [Theory]
    [InlineData("--tcp")]
    [InlineData("--udp")]
    public void WithoutTheFlagTheSecondProcessFailsAddressInUse(string option)
    {
        using CliProcess first = CliProcess.Start("serve", "echo", "--reuse-port", option, "127.0.0.1:0");
        ReadyAddress address = Assert.Single(first.WaitUntilListening());

        // Sharing needs the option on every socket of the group: a process without it is refused, as by default.
        ToolRun second = CliProcess.Run("serve", "echo", option, $"127.0.0.1:{address.Port}");

        Assert.Equal(ExitCodes.Address, second.ExitCode);
        Assert.Equal("", second.Stdout);
        Assert.Equal($"socketserver: Cannot bind {address.Uri}: the address is already in use (another server listens on it).\n", second.Stderr);
        Assert.Equal(0, first.Stop());
    }

    [Fact]
    public void ByDefaultTwoProcessesCannotShareAPort()
    {
        using CliProcess first = CliProcess.Start("serve", "echo", "--tcp", "127.0.0.1:0");
        ReadyAddress address = Assert.Single(first.WaitUntilListening());

        ToolRun second = CliProcess.Run("serve", "echo", "--reuse-port", "--tcp", $"127.0.0.1:{address.Port}");

        Assert.Equal(ExitCodes.Address, second.ExitCode);
        Assert.Contains("the address is already in use", second.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, first.Stop());
    }

    private static void RequireLinux()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("reads /proc to see which process accepted; SO_REUSEPORT balancing is Linux's");
        }
    }
}
