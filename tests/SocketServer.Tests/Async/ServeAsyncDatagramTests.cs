using System.Net;
using System.Net.Sockets;
using System.Text;
using SocketServer.Internal.Reactor;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Async;

/// <summary>ServeAsync on UDP and Unix datagram servers, with async and synchronous datagram handlers.</summary>
public sealed class ServeAsyncDatagramTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly CancellationTokenSource _timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    public ServeAsyncDatagramTests()
    {
        Assert.SkipUnless(ReactorNative.IsSupported, "ServeAsync's reactor runs on 64-bit Linux");
        _timeout.CancelAfter(TestTimeouts.Long);
    }

    public static TheoryData<string, bool> Cases => new()
    {
        { "udp", true }, { "udp6", true }, { "unix-dgram", true }, { "udp", false }, { "unix-dgram", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EchoesDatagrams(string transport, bool asyncHandler)
    {
        Func<BaseRequestHandler> factory = asyncHandler
            ? static () => new AsyncDatagramEchoHandler()
            : static () => new SyncDatagramEchoHandler();
        using UdpServer server = transport switch
        {
            "unix-dgram" => new UnixDatagramServer(new UnixDomainSocketEndPoint(_directory.NewSocketPath()), factory),
            "udp6" => new UdpServer(new IPEndPoint(IPAddress.IPv6Loopback, 0), factory),
            _ => new UdpServer(new IPEndPoint(IPAddress.Loopback, 0), factory),
        };
        Task serving = server.ServeAsync(_timeout.Token);
        using Socket client = Clients.CreateDatagram(server.ServerAddress, _directory);
        byte[] reply = new byte[1024];
        for (int i = 0; i < 20; i++)
        {
            byte[] message = Encoding.ASCII.GetBytes($"datagram {i}");
            await client.SendToAsync(message, server.ServerAddress, _timeout.Token);
            int received = await client.ReceiveAsync(reply, _timeout.Token);
            Assert.Equal(message, reply.AsSpan(0, received).ToArray());
        }

        server.Shutdown();
        await serving.WaitAsync(_timeout.Token);
    }

    [Fact]
    public async Task AsyncDatagramHandlerWorksUnderServeForever()
    {
        using var server = new UdpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new AsyncDatagramEchoHandler());
        using var runner = new ServerRunner(server);
        using Socket client = Clients.CreateDatagram(server.ServerAddress, _directory);
        await client.SendToAsync("ping"u8.ToArray(), server.ServerAddress, _timeout.Token);
        byte[] reply = new byte[16];
        int received = await client.ReceiveAsync(reply, _timeout.Token);
        Assert.Equal("ping"u8.ToArray(), reply.AsSpan(0, received).ToArray());
        runner.Stop();
    }

    public void Dispose()
    {
        _timeout.Dispose();
        _directory.Dispose();
    }

    private sealed class AsyncDatagramEchoHandler : AsyncDatagramRequestHandler
    {
        protected override async ValueTask HandleAsync()
        {
            await Task.Yield();
            Reply(Packet);
        }
    }

    private sealed class SyncDatagramEchoHandler : DatagramRequestHandler
    {
        protected override void Handle() => WFile.Write(Packet);
    }
}
