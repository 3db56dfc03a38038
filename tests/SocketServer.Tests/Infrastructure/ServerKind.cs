using System.Net;
using System.Net.Sockets;

namespace SocketServer.Tests.Infrastructure;

/// <summary>Each server class of the faithful layer, for CPython's server × handler matrix.</summary>
public enum ServerKind
{
    Tcp,
    ThreadingTcp,
    Udp,
    ThreadingUdp,
    UnixStream,
    ThreadingUnixStream,
    UnixDatagram,
    ThreadingUnixDatagram,
    TcpIPv6,
    UdpIPv6,
}

internal static class ServerKinds
{
    public static TheoryData<ServerKind> All => [.. Enum.GetValues<ServerKind>()];

    public static bool IsDatagram(this ServerKind kind) =>
        kind is ServerKind.Udp or ServerKind.ThreadingUdp or ServerKind.UnixDatagram or ServerKind.ThreadingUnixDatagram or ServerKind.UdpIPv6;

    public static bool IsThreading(this ServerKind kind) => kind.ToString().StartsWith("Threading", StringComparison.Ordinal);

    public static bool IsUnix(this ServerKind kind) => kind.ToString().Contains("Unix", StringComparison.Ordinal);

    /// <summary>Builds a server of <paramref name="kind"/>; Unix ones get a fresh path in <paramref name="directory"/>.</summary>
    public static TcpServer Create(ServerKind kind, Func<BaseRequestHandler> factory, TempDirectory directory)
    {
        if (kind is ServerKind.TcpIPv6 or ServerKind.UdpIPv6)
        {
            SkipUnlessIPv6();
        }

        var ipv4 = new IPEndPoint(IPAddress.Loopback, 0);
        var ipv6 = new IPEndPoint(IPAddress.IPv6Loopback, 0);
        return kind switch
        {
            ServerKind.Tcp => new TcpServer(ipv4, factory),
            ServerKind.ThreadingTcp => new ThreadingTcpServer(ipv4, factory),
            ServerKind.Udp => new UdpServer(ipv4, factory),
            ServerKind.ThreadingUdp => new ThreadingUdpServer(ipv4, factory),
            ServerKind.UnixStream => new UnixStreamServer(directory.NewSocketPath(), factory),
            ServerKind.ThreadingUnixStream => new ThreadingUnixStreamServer(directory.NewSocketPath(), factory),
            ServerKind.UnixDatagram => new UnixDatagramServer(directory.NewSocketPath(), factory),
            ServerKind.ThreadingUnixDatagram => new ThreadingUnixDatagramServer(directory.NewSocketPath(), factory),
            ServerKind.TcpIPv6 => new TcpServer(ipv6, factory),
            ServerKind.UdpIPv6 => new UdpServer(ipv6, factory),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    public static void SkipUnlessIPv6()
    {
        if (!Socket.OSSupportsIPv6)
        {
            Assert.Skip("IPv6 is not available on this host");
        }

        try
        {
            using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        }
        catch (SocketException)
        {
            Assert.Skip("IPv6 loopback (::1) is not configured on this host");
        }
    }
}
