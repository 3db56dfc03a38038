using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SocketServer.Internal.Reactor;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Async;

/// <summary>
/// Choosing io_uring (<see cref="BaseServer.AsyncTransport"/>): it serves where the probe passes, and where it cannot
/// (simulated through the server's internal probe seam) or for a datagram server, epoll serves instead with one log
/// line saying why.
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class IoUringTransportTests : IDisposable
{
    private const string SimulatedReason = "io_uring_setup was refused (EPERM: simulated by the test)";
    private readonly CancellationTokenSource _timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
    private readonly LogCapture _log = new();

    public IoUringTransportTests() => _timeout.CancelAfter(TestTimeouts.Long);

    private CancellationToken Token => _timeout.Token;

    [Fact]
    public void EpollIsTheDefault()
    {
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new AsyncLineEchoHandler());
        Assert.Equal(AsyncTransport.Epoll, server.AsyncTransport);
    }

    [Fact]
    public async Task ServesOnIoUringWhereTheProbePasses()
    {
        TestTransports.SkipUnlessAvailable(AsyncTransport.IoUring);
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new AsyncLineEchoHandler())
        {
            AsyncTransport = AsyncTransport.IoUring,
            LoggerFactory = _log.Factory,
        };
        Task serving = server.ServeAsync(Token);
        Assert.NotNull(server.IoUringSession);
        Assert.Null(server.ReactorSession);
        await AssertEchoesAsync(server);
        server.Shutdown();
        await serving.WaitAsync(Token);
        Assert.Empty(_log.OfEvent(700));
        Assert.Contains("ServeAsync on io_uring", _log.OfEvent(1).Single().Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FallsBackToEpollWithOneWarningWhenIoUringIsUnavailable()
    {
        Assert.SkipUnless(ReactorNative.IsSupported, "the epoll reactor runs on 64-bit Linux");
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new AsyncLineEchoHandler())
        {
            AsyncTransport = AsyncTransport.IoUring,
            LoggerFactory = _log.Factory,
            IoUringProbe = static () => SimulatedReason,
        };
        Task serving = server.ServeAsync(Token);
        Assert.Null(server.IoUringSession);
        Assert.NotNull(server.ReactorSession);
        await AssertEchoesAsync(server);
        await AssertEchoesAsync(server);
        server.Shutdown();
        await serving.WaitAsync(Token);

        var record = Assert.Single(_log.OfEvent(700));
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.EndsWith($": serving on epoll instead of io_uring: {SimulatedReason}.", record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADatagramServerAskingForIoUringIsServedByEpollAndSaysSo()
    {
        Assert.SkipUnless(ReactorNative.IsSupported, "the epoll reactor runs on 64-bit Linux");
        using var server = new UdpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new AsyncDatagramEcho())
        {
            AsyncTransport = AsyncTransport.IoUring,
            LoggerFactory = _log.Factory,
        };
        Task serving = server.ServeAsync(Token);
        Assert.NotNull(server.ReactorSession);
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            await client.SendToAsync("ping"u8.ToArray(), server.ServerAddress!, Token);
            byte[] reply = new byte[16];
            int length = await client.ReceiveAsync(reply, Token);
            Assert.Equal("ping"u8.ToArray(), reply[..length]);
        }

        server.Shutdown();
        await serving.WaitAsync(Token);
        var record = Assert.Single(_log.OfEvent(701));
        Assert.Equal(LogLevel.Information, record.Level);
        Assert.Empty(_log.OfEvent(700));
    }

    [Fact]
    public async Task ServingAndStoppingLeavesNoDescriptorBehind()
    {
        TestTransports.SkipUnlessAvailable(AsyncTransport.IoUring);
        FileDescriptors.SkipUnlessCountable();
        await ServeOnceAsync();
        string[] before = Descriptors();
        await ServeOnceAsync();
        await ServeOnceAsync();
        string[] after = Descriptors();
        Assert.True(before.Length == after.Length, $"descriptors left behind: {string.Join(", ", after.Except(before))}");
    }

    public void Dispose()
    {
        _timeout.Dispose();
        _log.Dispose();
    }

    private static string[] Descriptors() =>
        [.. Directory.GetFiles("/proc/self/fd").Select(static fd =>
        {
            try
            {
                return $"{Path.GetFileName(fd)}->{new FileInfo(fd).LinkTarget}";
            }
            catch (IOException)
            {
                return fd;
            }
        })];

    private async Task ServeOnceAsync()
    {
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new AsyncLineEchoHandler())
        {
            AsyncTransport = AsyncTransport.IoUring,
            AsyncLoopCount = 2,
        };
        Task serving = server.ServeAsync(Token);
        Assert.NotNull(server.IoUringSession);
        // One connection stays open across the stop: the stop must end it and close its descriptor.
        using Socket open = await AsyncClients.ConnectAsync(server.ServerAddress!, Token);
        await AssertEchoesAsync(server);
        server.Shutdown();
        await serving.WaitAsync(Token);
    }

    [Fact]
    public async Task ABurstOfMoreFirstMessagesThanTheLoopHasReceiveBuffersIsServed()
    {
        // 3,000 clients connect and send their first line while the loop is held; then the loop lets go, and one
        // batch accepts them all and arms their receives on sockets that already hold data: far more than the 256
        // provided buffers (the rest end with ENOBUFS) and more receives than the 1,024-entry submission ring holds.
        // The loop used to re-arm at once, flush the ring early, fail again on the still-empty buffer ring, and
        // never leave the batch (an idle-connections benchmark of 10,000 clients served 256 of them).
        TestTransports.SkipUnlessAvailable(AsyncTransport.IoUring);
        const int Clients = 3000;
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new AsyncLineEchoHandler())
        {
            AsyncTransport = AsyncTransport.IoUring,
            AsyncLoopCount = 1,
            LoggerFactory = _log.Factory,
        };
        server.Limits.MaxConnections = null;
        Task serving = server.ServeAsync(Token);
        await AssertEchoesAsync(server);
        var clients = new List<Socket>(Clients);
        using var gate = new ManualResetEventSlim();
        try
        {
            var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            server.IoUringSession!.Loops[0].Post(new HoldLoop(held, gate, Token));
            await held.Task.WaitAsync(Token);
            for (int i = 0; i < Clients; i++)
            {
                Socket client = await AsyncClients.ConnectAsync(server.ServerAddress!, Token);
                clients.Add(client);
                await client.SendAsync("hi\n"u8.ToArray(), Token);
            }

            gate.Set();
            foreach (Socket client in clients)
            {
                Assert.Equal("hi\n"u8.ToArray(), await AsyncClients.ReceiveExactlyAsync(client, 3, Token));
            }
        }
        finally
        {
            gate.Set();
            foreach (Socket client in clients)
            {
                client.Dispose();
            }
        }

        server.Shutdown();
        await serving.WaitAsync(Token);
    }

    private async Task AssertEchoesAsync(TcpServer server)
    {
        using Socket client = await AsyncClients.ConnectAsync(server.ServerAddress!, Token);
        await client.SendAsync("one\ntwo\n"u8.ToArray(), Token);
        Assert.Equal("one\ntwo\n"u8.ToArray(), await AsyncClients.ReceiveExactlyAsync(client, 8, Token));
        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await AsyncClients.ReceiveToEndAsync(client, Token));
    }

    /// <summary>Holds the loop's thread until the gate opens (bounded by the test's token), after saying it holds it.</summary>
    private sealed class HoldLoop(TaskCompletionSource held, ManualResetEventSlim gate, CancellationToken token) : IReactorWork
    {
        public void Execute()
        {
            held.SetResult();
            gate.Wait(token);
        }
    }

    private sealed class AsyncDatagramEcho : AsyncDatagramRequestHandler
    {
        protected override ValueTask HandleAsync()
        {
            Reply(Packet);
            return ValueTask.CompletedTask;
        }
    }
}
