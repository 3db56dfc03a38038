using SocketServer.Cli.Tests.Infrastructure;
using SocketServer.Protocols;

namespace SocketServer.Cli.Tests;

/// <summary>Which library server and handler each listener kind, mode and protocol gets.</summary>
public sealed class ServerFactoryTests
{
    [Theory]
    [InlineData("tcp", "sync", typeof(TcpServer))]
    [InlineData("udp", "sync", typeof(UdpServer))]
    [InlineData("unix", "sync", typeof(UnixStreamServer))]
    [InlineData("unix-dgram", "sync", typeof(UnixDatagramServer))]
    [InlineData("tcp", "threading", typeof(ThreadingTcpServer))]
    [InlineData("udp", "threading", typeof(ThreadingUdpServer))]
    [InlineData("unix", "threading", typeof(ThreadingUnixStreamServer))]
    [InlineData("unix-dgram", "threading", typeof(ThreadingUnixDatagramServer))]
    [InlineData("tcp", "forking", typeof(ForkingTcpServer))]
    [InlineData("udp", "forking", typeof(ForkingUdpServer))]
    [InlineData("unix", "forking", typeof(ForkingUnixStreamServer))]
    [InlineData("unix-dgram", "forking", typeof(ForkingUnixDatagramServer))]
    [InlineData("tcp", "async", typeof(TcpServer))]
    [InlineData("udp", "async", typeof(UdpServer))]
    [InlineData("unix", "async", typeof(UnixStreamServer))]
    [InlineData("unix-dgram", "async", typeof(UnixDatagramServer))]
    public void CreatesTheServerOfTheKindAndMode(string kind, string mode, Type expected)
    {
        using var directory = new TempDirectory();
        ListenerSpec spec = Spec(kind, directory);
        ServeMode serveMode = mode switch
        {
            "sync" => ServeMode.Sync,
            "threading" => ServeMode.Threading,
            "async" => ServeMode.Async,
            _ => ServeMode.Forking,
        };

        using TcpServer server = ServerFactory.Create(spec, ServeProtocol.Echo, serveMode);

        Assert.Equal(expected, server.GetType());
        Assert.False(server.IsClosed);
        bool? daemon = server switch
        {
            ThreadingTcpServer s => s.DaemonThreads,
            ThreadingUdpServer s => s.DaemonThreads,
            ThreadingUnixStreamServer s => s.DaemonThreads,
            ThreadingUnixDatagramServer s => s.DaemonThreads,
            _ => null,
        };
        Assert.Equal(serveMode == ServeMode.Threading ? true : null, daemon);
    }

    [Theory]
    [InlineData("tcp", 0)]
    [InlineData("udp", 0)]
    [InlineData("unix", 3)]
    [InlineData("unix-dgram", 0)]
    [InlineData("tcp", null)]
    public void MaxIdleThreadsReachesEveryThreadingServer(string kind, int? maxIdleThreads)
    {
        using var directory = new TempDirectory();

        using TcpServer server = ServerFactory.Create(Spec(kind, directory), ServeProtocol.Echo, ServeMode.Threading, maxIdleThreads: maxIdleThreads);

        int idle = server switch
        {
            ThreadingTcpServer s => s.MaxIdleThreads,
            ThreadingUdpServer s => s.MaxIdleThreads,
            ThreadingUnixStreamServer s => s.MaxIdleThreads,
            ThreadingUnixDatagramServer s => s.MaxIdleThreads,
            _ => throw new InvalidOperationException($"{server.GetType().Name} is not a threading server"),
        };
        // Absent, the library's default stays.
        using var defaults = new ThreadingTcpServer(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0), static () => new EchoStreamHandler(), bindAndActivate: false);
        Assert.Equal(maxIdleThreads ?? defaults.MaxIdleThreads, idle);
    }

    [Theory]
    [InlineData("echo", true, typeof(EchoStreamHandler))]
    [InlineData("echo", false, typeof(EchoDatagramHandler))]
    [InlineData("timestamp", true, typeof(TimestampStreamHandler))]
    [InlineData("timestamp", false, typeof(TimestampDatagramHandler))]
    public void MapsEachProtocolToItsHandler(string protocol, bool stream, Type expected)
    {
        ServeProtocol serveProtocol = protocol == "echo" ? ServeProtocol.Echo : ServeProtocol.Timestamp;

        Func<BaseRequestHandler> factory = ProtocolHandlers.For(serveProtocol, stream);

        Assert.Equal(expected, factory().GetType());
        Assert.NotSame(factory(), factory());
    }

    private static ListenerSpec Spec(string kind, TempDirectory directory) => kind switch
    {
        "tcp" => ListenerSpec.Parse(ListenerKind.Tcp, "127.0.0.1:0"),
        "udp" => ListenerSpec.Parse(ListenerKind.Udp, "127.0.0.1:0"),
        "unix" => ListenerSpec.Parse(ListenerKind.Unix, directory.NewPath()),
        _ => ListenerSpec.Parse(ListenerKind.UnixDatagram, directory.NewPath()),
    };
}
