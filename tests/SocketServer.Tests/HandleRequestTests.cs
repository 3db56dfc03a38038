using System.Net;
using System.Net.Sockets;
using SocketServer.Protocols;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>SPEC §1.2: HandleRequest serves one request or times out through HandleTimeout.</summary>
public sealed class HandleRequestTests
{
    private static readonly IPEndPoint s_loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public void TimesOutThroughHandleTimeoutWhenNoRequestComes()
    {
        var log = new HookLog();
        using var server = new RecordingTcpServer(log, () => new BaseRequestHandler()) { Timeout = TimeSpan.FromMilliseconds(20) };
        server.HandleRequest();
        Assert.Equal(["HandleTimeout"], log.Calls);
    }

    [Fact]
    public void AZeroTimeoutPollsOnce()
    {
        var log = new HookLog();
        using var server = new RecordingTcpServer(log, () => new BaseRequestHandler()) { Timeout = TimeSpan.Zero };
        server.HandleRequest();
        Assert.Equal(["HandleTimeout"], log.Calls);
    }

    [Fact]
    public void TheListeningSocketsReceiveTimeoutCountsLikePythonsSocketTimeout()
    {
        var log = new HookLog();
        using var server = new RecordingTcpServer(log, () => new BaseRequestHandler());
        server.Socket.ReceiveTimeout = 20;
        server.HandleRequest();
        Assert.Equal(["HandleTimeout"], log.Calls);
    }

    [Fact]
    public void ServesAPendingRequestAndNeverCallsServiceActions()
    {
        var log = new HookLog();
        using var server = new RecordingTcpServer(log, () => new BaseRequestHandler()) { Timeout = TestTimeouts.Long };
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.Equal(1, log.Count("ShutdownRequest"));
        Assert.Equal(0, log.Count("HandleTimeout"));
        Assert.Equal(0, log.Count("ServiceActions"));
    }

    [Fact]
    public void ThrowsOnAClosedServer()
    {
        var server = new TcpServer<EchoStreamHandler>(s_loopback);
        server.ServerClose();
        Assert.Throws<ObjectDisposedException>(server.HandleRequest);
    }

    [Fact]
    public void DefaultTimeoutIsNull() => Assert.Null(new TcpServer<EchoStreamHandler>(s_loopback).Timeout);
}
