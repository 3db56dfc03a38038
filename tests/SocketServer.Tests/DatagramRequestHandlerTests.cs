using System.Net;
using System.Net.Sockets;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>SPEC §1.4 and §1.11: datagram requests, the always-sent reply, truncation and unnamed Unix peers.</summary>
public sealed class DatagramRequestHandlerTests : IDisposable
{
    private static readonly IPEndPoint s_loopback = new(IPAddress.Loopback, 0);
    private readonly TempDirectory _directory = new();

    [Fact]
    public void TheRequestIsThePacketAndTheServersSocket()
    {
        var seen = new TaskCompletionSource<(byte[] Packet, Socket Socket, DatagramRequest Request)>();
        using var server = new UdpServer(s_loopback, () => new DelegateDatagramHandler(h => seen.SetResult((h.Packet, h.Socket, (DatagramRequest)h.Request))));
        using Socket client = Clients.CreateDatagram(server.ServerAddress);
        client.SendTo("ping"u8.ToArray(), server.ServerAddress);
        server.HandleRequest();
        var (packet, socket, request) = seen.Task.Result;
        Assert.Equal("ping"u8.ToArray(), packet);
        Assert.Same(server.Socket, socket);
        var (data, requestSocket) = request;
        Assert.Same(packet, data);
        Assert.Same(server.Socket, requestSocket);
    }

    [Fact]
    public void AnEmptyReplyIsStillSent()
    {
        using var server = new UdpServer(s_loopback, () => new DelegateDatagramHandler(_ => { }));
        using Socket client = Clients.CreateDatagram(server.ServerAddress);
        client.SendTo("anything"u8.ToArray(), server.ServerAddress);
        server.HandleRequest();
        byte[] buffer = new byte[16];
        Assert.Equal(0, client.Receive(buffer));
    }

    [Fact]
    public void ADatagramLongerThanMaxPacketSizeIsTruncated()
    {
        var seen = new TaskCompletionSource<int>();
        using var server = new UdpServer(s_loopback, () => new DelegateDatagramHandler(h => seen.SetResult(h.Packet.Length))) { MaxPacketSize = 100 };
        using Socket client = Clients.CreateDatagram(server.ServerAddress);
        client.SendTo(new byte[300], server.ServerAddress);
        server.HandleRequest();
        Assert.Equal(100, seen.Task.Result);
    }

    [Fact]
    public void AnUnnamedUnixClientHasAnEmptyAddressAndCannotBeAnswered()
    {
        var log = new HookLog();
        var address = new TaskCompletionSource<EndPoint?>();
        using var server = new RecordingUnixDatagramServer(log, _directory.NewSocketPath(), () => new DelegateDatagramHandler(h => address.SetResult(h.ClientAddress)));
        using Socket client = Clients.CreateDatagram(server.ServerAddress, unixClientDirectory: null);
        client.SendTo("x"u8.ToArray(), server.ServerAddress);
        server.HandleRequest();
        Assert.Equal(string.Empty, address.Task.Result?.ToString());
        Assert.Contains("must bind its socket to a path", Assert.Single(log.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnnamedUnixStreamClientHasAnEmptyAddress()
    {
        var address = new TaskCompletionSource<EndPoint?>();
        using var server = new UnixStreamServer(_directory.NewSocketPath(), () => new DelegateStream(h => address.SetResult(h.ClientAddress)));
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.IsType<UnixDomainSocketEndPoint>(address.Task.Result);
        Assert.Equal(string.Empty, address.Task.Result!.ToString());
    }

    [Fact]
    public void ADatagramHandlerOnAStreamServerFailsClearly()
    {
        var log = new HookLog();
        using var server = new RecordingTcpServer(log, () => new DatagramRequestHandler());
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.Contains("use StreamRequestHandler", Assert.Single(log.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThreadingUdpHandlersShareTheServerSocketForReplies()
    {
        using var server = new ThreadingUdpServer(s_loopback, () => new DelegateDatagramHandler(h => h.WFile.Write(h.Packet)));
        using var runner = new ServerRunner(server);
        var replies = Enumerable.Range(0, 8)
            .Select(i => Task.Run(() => Clients.DatagramRoundTrip(server.ServerAddress, [(byte)i])))
            .ToArray();
        Assert.True(Task.WaitAll(replies, TestTimeouts.Long));
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (byte)i), replies.Select(r => Assert.Single(r.Result)).Order());
        runner.Stop();
    }

    public void Dispose() => _directory.Dispose();

    private sealed class DelegateDatagramHandler(Action<DatagramRequestHandler> handle) : DatagramRequestHandler
    {
        protected override void Handle() => handle(this);
    }

    private sealed class DelegateStream(Action<BaseRequestHandler> handle) : BaseRequestHandler
    {
        protected override void Handle() => handle(this);
    }

    private sealed class RecordingUnixDatagramServer(HookLog log, string path, Func<BaseRequestHandler> factory) : UnixDatagramServer(path, factory)
    {
        protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) => log.AddError(exception);
    }
}
