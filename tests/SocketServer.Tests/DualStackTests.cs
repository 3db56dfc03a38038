using System.Net;
using SocketServer.Protocols;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>Reliability matrix row 18: a server on <c>[::]</c> serves IPv4 clients too, unless told otherwise.</summary>
public sealed class DualStackTests
{
    private static readonly IPEndPoint s_ipv6Any = new(IPAddress.IPv6Any, 0);
    private static readonly byte[] s_message = "dual\n"u8.ToArray();

    [Fact]
    public void ATcpServerOnIPv6AnyAcceptsAnIPv4Client()
    {
        ServerKinds.SkipUnlessIPv6();
        using var server = new TcpServer<EchoStreamHandler>(s_ipv6Any);
        Assert.True(server.AllowDualStack);
        Assert.True(server.Socket.DualMode);
        Assert.Equal(IPAddress.IPv6Any, ((IPEndPoint)server.ServerAddress).Address);

        using var runner = new ServerRunner(server);
        Assert.Equal(s_message, Clients.StreamRoundTrip(IPv4LoopbackOf(server), s_message, s_message.Length));
        runner.Stop();
    }

    [Fact]
    public void AUdpServerOnIPv6AnyAnswersAnIPv4Client()
    {
        ServerKinds.SkipUnlessIPv6();
        using var server = new ThreadingUdpServer<EchoDatagramHandler>(s_ipv6Any);
        Assert.True(server.Socket.DualMode);

        using var runner = new ServerRunner(server);
        Assert.Equal(s_message, Clients.DatagramRoundTrip(IPv4LoopbackOf(server), s_message));
        runner.Stop();
    }

    [Fact]
    public void WithoutAllowDualStackTheSocketIsLeftAsItWas()
    {
        ServerKinds.SkipUnlessIPv6();
        // The derived server makes the socket IPv6-only before binding, as a system default might.
        using var server = new IPv6OnlyServer();
        // IPV6_V6ONLY is still set. (Connecting over IPv4 to prove it could reach another test's server on that port.)
        Assert.False(server.Socket.DualMode);
    }

    [Fact]
    public void ASpecificIPv6AddressIsNotMadeDualStack()
    {
        ServerKinds.SkipUnlessIPv6();
        using var server = new IPv6OnlyServer(IPAddress.IPv6Loopback, allowDualStack: true);
        Assert.False(server.Socket.DualMode);
    }

    private static IPEndPoint IPv4LoopbackOf(BaseServer server) =>
        new(IPAddress.Loopback, ((IPEndPoint)server.ServerAddress).Port);

    private sealed class IPv6OnlyServer : TcpServer
    {
        public IPv6OnlyServer(IPAddress? address = null, bool allowDualStack = false)
            : base(new IPEndPoint(address ?? IPAddress.IPv6Any, 0), () => new EchoStreamHandler(), bindAndActivate: false)
        {
            AllowDualStack = allowDualStack;
            try
            {
                Socket.DualMode = false;
                ServerBind();
                ServerActivate();
            }
            catch
            {
                ServerClose();
                throw;
            }
        }
    }
}
