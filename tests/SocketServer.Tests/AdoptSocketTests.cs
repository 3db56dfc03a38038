using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Systemd;
using SocketServer.Protocols;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>
/// <see cref="TcpServer.AdoptSocket"/> (Python's <c>server.socket = sock</c>) for sockets bound elsewhere, as systemd
/// passes them, and the parsing of systemd's activation variables (<see cref="ListenEnvironment"/>).
/// </summary>
public sealed class AdoptSocketTests : IDisposable
{
    private static readonly IPEndPoint s_loopback = new(IPAddress.Loopback, 0);
    private readonly TempDirectory _directory = new();

    [Fact]
    public void AListeningTcpSocketIsServedAtItsOwnAddress()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(s_loopback);
        socket.Listen(7);
        using var server = new ThreadingTcpServer<EchoStreamHandler>(new IPEndPoint(IPAddress.Any, 0), bindAndActivate: false);

        server.AdoptSocket(socket);

        Assert.Same(socket, server.Socket);
        Assert.Equal(socket.LocalEndPoint, server.ServerAddress);
        using var runner = new ServerRunner(server);
        Assert.Equal("adopted\n"u8.ToArray(), Clients.StreamRoundTrip(server.ServerAddress, "adopted\n"u8.ToArray(), 8));
        runner.Stop();
    }

    [Fact]
    public void ABoundStreamSocketNotYetListeningIsMadeToListen()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(s_loopback);
        using var server = new TcpServer<EchoStreamHandler>(s_loopback, bindAndActivate: false);

        server.AdoptSocket(socket);

        Assert.Equal(1, (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection)!);
    }

    [Fact]
    public void AUdpAndAUnixDatagramSocketAreServed()
    {
        var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(s_loopback);
        using var udpServer = new UdpServer<EchoDatagramHandler>(s_loopback, bindAndActivate: false);
        udpServer.AdoptSocket(udp);
        var unix = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        string path = _directory.NewSocketPath();
        unix.Bind(new UnixDomainSocketEndPoint(path));
        using var unixServer = new UnixDatagramServer<EchoDatagramHandler>(_directory.NewSocketPath(), bindAndActivate: false);
        unixServer.AdoptSocket(unix);

        using var udpRunner = new ServerRunner(udpServer);
        using var unixRunner = new ServerRunner(unixServer);
        Assert.Equal("udp"u8.ToArray(), Clients.DatagramRoundTrip(udpServer.ServerAddress, "udp"u8.ToArray()));
        Assert.Equal("unix"u8.ToArray(), Clients.DatagramRoundTrip(unixServer.ServerAddress, "unix"u8.ToArray(), _directory));
        udpRunner.Stop();
        unixRunner.Stop();
        unixServer.ServerClose();
        // The file belongs to whoever bound it (systemd): the server leaves it.
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void AMismatchedOrUnboundSocketIsRefusedAndTheServerKeepsItsOwn()
    {
        using var server = new TcpServer<EchoStreamHandler>(s_loopback, bindAndActivate: false);
        Socket own = server.Socket;
        using var unbound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var datagram = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        datagram.Bind(s_loopback);
        using var unixServer = new UnixStreamServer<EchoStreamHandler>(_directory.NewSocketPath(), bindAndActivate: false);
        using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        tcp.Bind(s_loopback);

        Assert.Contains("not bound", Assert.Throws<ArgumentException>(() => server.AdoptSocket(unbound)).Message, StringComparison.Ordinal);
        Assert.Contains("Dgram socket", Assert.Throws<ArgumentException>(() => server.AdoptSocket(datagram)).Message, StringComparison.Ordinal);
        Assert.Contains("address family", Assert.Throws<ArgumentException>(() => unixServer.AdoptSocket(tcp)).Message, StringComparison.Ordinal);
        Assert.Same(own, server.Socket);
        Assert.IsType<UnixDomainSocketEndPoint>(unixServer.ServerAddress);
    }

    [Fact]
    public void ABoundServerCannotAdoptAnother()
    {
        using var server = new TcpServer<EchoStreamHandler>(s_loopback);
        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        other.Bind(s_loopback);

        Assert.Throws<InvalidOperationException>(() => server.AdoptSocket(other));
    }

    [Fact]
    public void TheEnvironmentGivesOneNamePerDescriptor()
    {
        Assert.Equal(["main", "agent-check"], ListenEnvironment.Parse("42", "2", "main:agent-check", 42));
        Assert.Equal(["unknown", "unknown"], ListenEnvironment.Parse("42", "2", null, 42));
        Assert.Equal(["unknown", "b"], ListenEnvironment.Parse("42", "2", ":b", 42));
    }

    [Theory]
    [InlineData(null, null, null, "no sockets were passed")]
    [InlineData("41", "1", null, "LISTEN_PID is 41, not this process (42)")]
    [InlineData("x", "1", null, "LISTEN_PID 'x' is not a process id")]
    [InlineData("-42", "1", null, "LISTEN_PID '-42' is not a process id")]
    [InlineData("42", null, null, "LISTEN_FDS '' is not a number of descriptors")]
    [InlineData("42", "two", null, "LISTEN_FDS 'two' is not a number of descriptors")]
    [InlineData("42", "99999", null, "LISTEN_FDS '99999' is not a number of descriptors")]
    [InlineData("42", "0", null, "LISTEN_FDS is 0")]
    [InlineData("42", "2", "one", "LISTEN_FDNAMES names 1 descriptors but LISTEN_FDS is 2")]
    [InlineData("42", "1", "a:b", "LISTEN_FDNAMES names 2 descriptors but LISTEN_FDS is 1")]
    public void ABadEnvironmentIsRefusedWithItsReason(string? pid, string? fds, string? names, string reason)
    {
        var e = Assert.Throws<SystemdActivationException>(() => ListenEnvironment.Parse(pid, fds, names, 42));
        Assert.StartsWith(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TakingTheSocketsUnsetsTheVariablesEvenWhenTheyAreRefused()
    {
        Environment.SetEnvironmentVariable("LISTEN_PID", "1");
        Environment.SetEnvironmentVariable("LISTEN_FDS", "1");
        Environment.SetEnvironmentVariable("LISTEN_FDNAMES", "main");
        Assert.False(SystemdActivation.IsActivated);

        Assert.Throws<SystemdActivationException>(SystemdActivation.TakeListenSockets);

        Assert.Null(Environment.GetEnvironmentVariable("LISTEN_PID"));
        Assert.Null(Environment.GetEnvironmentVariable("LISTEN_FDS"));
        Assert.Null(Environment.GetEnvironmentVariable("LISTEN_FDNAMES"));
    }

    public void Dispose() => _directory.Dispose();
}
