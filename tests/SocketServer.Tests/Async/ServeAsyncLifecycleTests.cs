using System.Buffers;
using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Reactor;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Async;

/// <summary>Stopping ServeAsync three ways, other handlers under it, async handlers elsewhere, zero allocation.</summary>
/// <remarks>Sequential: descriptors are counted for the whole process.</remarks>
[Collection(SequentialCollection.Name)]
public sealed class ServeAsyncLifecycleTests : IDisposable
{
    private readonly CancellationTokenSource _timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    public ServeAsyncLifecycleTests() => _timeout.CancelAfter(TestTimeouts.Long);

    private CancellationToken Token => _timeout.Token;

    public static TheoryData<string> StopWays => new() { "token", "shutdown", "serverclose" };

    [Theory]
    [MemberData(nameof(StopWays))]
    public async Task StopsClosesConnectionsAndReturnsDescriptors(string way)
    {
        Assert.SkipUnless(ReactorNative.IsSupported, "ServeAsync's reactor runs on 64-bit Linux");
        FileDescriptors.SkipUnlessCountable();
        // Warm up once, so that lazily opened runtime descriptors are not counted as leaks.
        await ServeAndStopAsync("token");
        int baseline = FileDescriptors.Count();
        await ServeAndStopAsync(way);
        Assert.Equal(baseline, FileDescriptors.Count());
    }

    [Fact]
    public async Task SyncHandlerRunsOnItsOwnThreadUnderServeAsync()
    {
        Assert.SkipUnless(ReactorNative.IsSupported, "ServeAsync's reactor runs on 64-bit Linux");
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new SyncLineEchoHandler());
        server.AsyncLoopCount = 1;
        Task serving = server.ServeAsync(Token);
        using Socket first = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
        using Socket second = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
        // The second is served while the first blocks in ReadLine: the loop was not blocked.
        await second.SendAsync("two\n"u8.ToArray(), Token);
        Assert.Equal("two\n"u8.ToArray(), await AsyncClients.ReceiveToEndAsync(second, Token));
        await first.SendAsync("one\n"u8.ToArray(), Token);
        Assert.Equal("one\n"u8.ToArray(), await AsyncClients.ReceiveToEndAsync(first, Token));
        server.Shutdown();
        await serving.WaitAsync(Token);
    }

    public static TheoryData<string> SyncModes => new() { "serveforever", "threading" };

    [Theory]
    [MemberData(nameof(SyncModes))]
    public async Task AsyncHandlerWorksUnderTheSynchronousServers(string mode)
    {
        using TcpServer server = mode == "threading"
            ? new ThreadingTcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new AsyncLineEchoHandler())
            : new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new AsyncLineEchoHandler());
        using var runner = new ServerRunner(server);
        using Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
        await client.SendAsync("line one\nline two\n"u8.ToArray(), Token);
        Assert.Equal("line one\nline two\n"u8.ToArray(), await AsyncClients.ReceiveExactlyAsync(client, 18, Token));
        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await AsyncClients.ReceiveToEndAsync(client, Token));
        runner.Stop();
    }

    [Theory]
    [InlineData("reactor")]
    [InlineData("io_uring")]
    public async Task EchoAllocatesNothingPerMessageInSteadyState(string transport)
    {
        var probe = new AllocationProbe();
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), () => new AllocationProbingEchoHandler(probe));
        TestTransports.Use(server, transport);
        server.AsyncLoopCount = 1;
        Task serving = server.ServeAsync(Token);
        using Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
        client.NoDelay = true;
        byte[] message = new byte[32];
        byte[] reply = new byte[32];
        for (int i = 0; i < AllocationProbe.LastMessage + 10; i++)
        {
            await client.SendAsync(message, Token);
            int got = 0;
            while (got < reply.Length)
            {
                got += await client.ReceiveAsync(reply.AsMemory(got), Token);
            }
        }

        Assert.Equal(0, probe.Difference);
        server.Shutdown();
        await serving.WaitAsync(Token);
    }

    public void Dispose() => _timeout.Dispose();

    private async Task ServeAndStopAsync(string way)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new AsyncLineEchoHandler());
        server.AsyncLoopCount = 2;
        Task serving = server.ServeAsync(stop.Token);
        var clients = new List<Socket>();
        for (int i = 0; i < 8; i++)
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
        // Every connection was closed by the server: each client reads the end of its stream.
        foreach (Socket client in clients)
        {
            Assert.Empty(await AsyncClients.ReceiveToEndAsync(client, Token));
            client.Dispose();
        }

        server.ServerClose();
    }
}
