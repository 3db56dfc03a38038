using System.Net;
using System.Net.Sockets;
using SocketServer.Protocols;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>SPEC §1.3 and §3: binding, the real address, reuse options and clear bind errors.</summary>
public sealed class BindTests : IDisposable
{
    private static readonly IPEndPoint s_loopback = new(IPAddress.Loopback, 0);
    private readonly TempDirectory _directory = new();

    [Fact]
    public void PortZeroBecomesTheRealPort()
    {
        using var server = new TcpServer<EchoStreamHandler>(s_loopback);
        var address = Assert.IsType<IPEndPoint>(server.ServerAddress);
        Assert.NotEqual(0, address.Port);
        Assert.Equal(server.Socket.LocalEndPoint, address);
    }

    [Fact]
    public void ASecondServerOnTheSamePortFailsNamingTheAddress()
    {
        using var first = new TcpServer<EchoStreamHandler>(s_loopback);
        var e = Assert.Throws<ServerBindException>(() => new TcpServer<EchoStreamHandler>(first.ServerAddress));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
        Assert.Equal($"tcp://{first.ServerAddress}", e.Address);
        Assert.StartsWith($"Cannot bind tcp://{first.ServerAddress}: the address is already in use", e.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<SocketException>(e);
    }

    [Fact]
    public void AllowReuseAddressNeverSharesAListeningPort()
    {
        // .NET's own ReuseAddress option would also set SO_REUSEPORT on Linux and let this bind succeed.
        using var first = new ReuseAddressServer(s_loopback);
        Assert.Throws<ServerBindException>(() => new ReuseAddressServer(first.ServerAddress));
    }

    [Fact]
    public void AllowReuseAddressSetsOnlySoReuseAddr()
    {
        SkipUnlessLinux();
        using var server = new ReuseAddressServer(s_loopback);
        Assert.Equal(1, RawOption(server.Socket, 2));
        Assert.Equal(0, RawOption(server.Socket, 15));
    }

    [Fact]
    public void AllowReusePortLetsTwoServersShareAPort()
    {
        SkipUnlessLinux();
        using var first = new TcpServer<EchoStreamHandler>(s_loopback, bindAndActivate: false) { AllowReusePort = true };
        first.ServerBind();
        first.ServerActivate();
        using var second = new TcpServer<EchoStreamHandler>(first.ServerAddress, bindAndActivate: false) { AllowReusePort = true };
        second.ServerBind();
        second.ServerActivate();
        Assert.Equal(first.ServerAddress, second.ServerAddress);
    }

    [Fact]
    public void AllowReusePortIsIgnoredOnUnixSockets()
    {
        // gh-128916: Linux 6.12.9+ rejects SO_REUSEPORT on AF_UNIX, so it is never set there.
        using var server = new UnixStreamServer<EchoStreamHandler>(_directory.NewSocketPath(), bindAndActivate: false) { AllowReusePort = true };
        server.ServerBind();
        server.ServerActivate();
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(0, RawOption(server.Socket, 15));
        }
    }

    [Fact]
    public void SettingsOverriddenInADerivedClassApplyDuringConstruction()
    {
        SkipUnlessLinux();
        using var server = new ReuseAddressServer(s_loopback);
        Assert.True(server.AllowReuseAddress);
        Assert.Equal(1, RawOption(server.Socket, 2));
    }

    [Fact]
    public void WithoutBindAndActivateTheSocketExistsButIsUnbound()
    {
        using var server = new TcpServer<EchoStreamHandler>(s_loopback, bindAndActivate: false);
        Assert.NotNull(server.Socket);
        Assert.False(server.Socket.IsBound);
        server.RequestQueueSize = 7;
        server.ServerBind();
        server.ServerActivate();
        Assert.True(server.Socket.IsBound);
        Assert.NotEqual(0, ((IPEndPoint)server.ServerAddress).Port);
    }

    [Fact]
    public void RequestQueueSizeDefaultsToSomaxconn()
    {
        using var server = new TcpServer<EchoStreamHandler>(s_loopback);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(int.Parse(File.ReadAllText("/proc/sys/net/core/somaxconn").Trim(), System.Globalization.CultureInfo.InvariantCulture), server.RequestQueueSize);
        }

        Assert.True(server.RequestQueueSize > 5);
    }

    [Fact]
    public void AnAddressThatIsNotThisMachinesFailsClearly()
    {
        // TEST-NET-1 (RFC 5737) is never assigned to a host; binding it fails without sending anything.
        var e = Assert.Throws<ServerBindException>(() => new TcpServer<EchoStreamHandler>(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 0)));
        Assert.Contains("tcp://192.0.2.1:0", e.Message, StringComparison.Ordinal);
        Assert.Contains("not one of this machine's", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingUnixSocketDirectoryIsNamed()
    {
        string path = Path.Combine(_directory.Path, "missing", "s.sock");
        var e = Assert.Throws<ServerBindException>(() => new UnixStreamServer<EchoStreamHandler>(path));
        Assert.Contains($"the directory '{Path.Combine(_directory.Path, "missing")}' does not exist", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UnixServersLeaveTheirFileAndRebindingFailsNamingThePath(bool datagram)
    {
        string path = _directory.NewSocketPath();
        TcpServer server = datagram ? new UnixDatagramServer<EchoDatagramHandler>(path) : new UnixStreamServer<EchoStreamHandler>(path);
        server.ServerClose();
        Assert.True(File.Exists(path), "Python never removes the socket file; neither do we");
        var e = Assert.Throws<ServerBindException>(() => datagram ? new UnixDatagramServer<EchoDatagramHandler>(path) : new UnixStreamServer<EchoStreamHandler>(path));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
        // Linux tells a stale file from a live server (the probe); elsewhere the message covers both.
        Assert.Contains(OperatingSystem.IsLinux() ? $"'{path}' is a stale socket file" : $"'{path}' already exists", e.Message, StringComparison.Ordinal);
        Assert.StartsWith(datagram ? "Cannot bind unix-dgram:" : "Cannot bind unix:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UdpBindsWithoutListening()
    {
        using var server = new UdpServer<EchoDatagramHandler>(s_loopback);
        Assert.Equal(SocketType.Dgram, server.Socket.SocketType);
        Assert.Equal(8192, server.MaxPacketSize);
        Assert.False(server.AllowReuseAddress);
        Assert.False(server.AllowReusePort);
    }

    [Fact]
    public void IPv6AddressesBindAnIPv6Socket()
    {
        ServerKinds.SkipUnlessIPv6();
        using var server = new TcpServer<EchoStreamHandler>(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        Assert.Equal(AddressFamily.InterNetworkV6, server.AddressFamily);
        Assert.Equal(IPAddress.IPv6Loopback, ((IPEndPoint)server.ServerAddress).Address);
    }

    public void Dispose() => _directory.Dispose();

    private static void SkipUnlessLinux()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("the raw socket option numbers checked here are Linux's");
        }
    }

    private static int RawOption(Socket socket, int name)
    {
        byte[] value = new byte[4];
        socket.GetRawSocketOption(1, name, value);
        return BitConverter.ToInt32(value);
    }

    private sealed class ReuseAddressServer(EndPoint address) : TcpServer(address, () => new EchoStreamHandler())
    {
        public override bool AllowReuseAddress => true;
    }
}
