using System.Net;
using System.Net.Sockets;
using System.Text;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Async;

/// <summary>
/// ServeAsync on the portable transport (the one used off Linux), forced here: echo, framing errors, handler
/// failures, synchronous handlers, datagrams and the three ways to stop.
/// </summary>
public sealed class PortableServeAsyncTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly CancellationTokenSource _timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    public PortableServeAsyncTests() => _timeout.CancelAfter(TestTimeouts.Long);

    private CancellationToken Token => _timeout.Token;

    public static TheoryData<string> Transports => new() { "127.0.0.1", "::1", "unix" };

    public static TheoryData<string> StopWays => new() { "token", "shutdown", "serverclose" };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task EchoesLinesForManyConcurrentClients(string transport)
    {
        using TcpServer server = transport switch
        {
            "unix" => new UnixStreamServer(new UnixDomainSocketEndPoint(_directory.NewSocketPath()), static () => new AsyncLineEchoHandler()),
            "::1" => new TcpServer(new IPEndPoint(IPAddress.IPv6Loopback, 0), static () => new AsyncLineEchoHandler()),
            _ => new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new AsyncLineEchoHandler()),
        };
        server.UsePortableAsyncTransport = true;
        Task serving = server.ServeAsync(Token);
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async id =>
        {
            using Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
            for (int i = 0; i < 20; i++)
            {
                byte[] line = Encoding.ASCII.GetBytes($"client {id} line {i}\n");
                await client.SendAsync(line, Token);
                Assert.Equal(line, await AsyncClients.ReceiveExactlyAsync(client, line.Length, Token));
            }

            client.Shutdown(SocketShutdown.Send);
            Assert.Empty(await AsyncClients.ReceiveToEndAsync(client, Token));
        }));
        server.Shutdown();
        await serving.WaitAsync(Token);
    }

    [Fact]
    public async Task HandlerExceptionGoesToHandleErrorAndSyncHandlersStillWork()
    {
        using var server = new RecordingTcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new ThrowingAsyncHandler())
        {
            UsePortableAsyncTransport = true,
        };
        Task serving = server.ServeAsync(Token);
        using Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
        await client.SendAsync("boom\n"u8.ToArray(), Token);
        Assert.Empty(await AsyncClients.ReceiveToEndAsync(client, Token));
        Assert.True(await server.ErrorReported.WaitAsync(TestTimeouts.Long, Token));
        Assert.Equal("handler failed on purpose", Assert.Single(server.Errors).Message);
        server.Shutdown();
        await serving.WaitAsync(Token);

        using var syncServer = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new SyncLineEchoHandler())
        {
            UsePortableAsyncTransport = true,
        };
        Task syncServing = syncServer.ServeAsync(Token);
        using Socket syncClient = await AsyncClients.ConnectAsync(syncServer.ServerAddress, Token);
        await syncClient.SendAsync("sync\n"u8.ToArray(), Token);
        Assert.Equal("sync\n"u8.ToArray(), await AsyncClients.ReceiveToEndAsync(syncClient, Token));
        syncServer.Shutdown();
        await syncServing.WaitAsync(Token);
    }

    [Theory]
    [MemberData(nameof(StopWays))]
    public async Task StopsAndClosesEveryConnection(string way)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new AsyncLineEchoHandler())
        {
            UsePortableAsyncTransport = true,
        };
        Task serving = server.ServeAsync(stop.Token);
        var clients = new List<Socket>();
        for (int i = 0; i < 4; i++)
        {
            Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
            await client.SendAsync("hi\n"u8.ToArray(), Token);
            Assert.Equal("hi\n"u8.ToArray(), await AsyncClients.ReceiveExactlyAsync(client, 3, Token));
            clients.Add(client);
        }

        switch (way)
        {
            case "token":
                await stop.CancelAsync();
                break;
            case "shutdown":
                await Task.Run(server.Shutdown, Token);
                break;
            default:
                server.ServerClose();
                break;
        }

        await serving.WaitAsync(Token);
        foreach (Socket client in clients)
        {
            Assert.Empty(await AsyncClients.ReceiveToEndAsync(client, Token));
            client.Dispose();
        }
    }

    [Fact]
    public async Task EchoesDatagramsWithAnAsyncHandler()
    {
        using var server = new UdpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new PortableDatagramEcho())
        {
            UsePortableAsyncTransport = true,
        };
        Task serving = server.ServeAsync(Token);
        using Socket client = Clients.CreateDatagram(server.ServerAddress);
        byte[] reply = new byte[64];
        for (int i = 0; i < 5; i++)
        {
            byte[] message = Encoding.ASCII.GetBytes($"dgram {i}");
            await client.SendToAsync(message, server.ServerAddress, Token);
            int received = await client.ReceiveAsync(reply, Token);
            Assert.Equal(message, reply.AsSpan(0, received).ToArray());
        }

        server.Shutdown();
        await serving.WaitAsync(Token);
    }

    public void Dispose()
    {
        _timeout.Dispose();
        _directory.Dispose();
    }

    private sealed class PortableDatagramEcho : AsyncDatagramRequestHandler
    {
        protected override ValueTask HandleAsync()
        {
            Reply(Packet);
            return default;
        }
    }
}
