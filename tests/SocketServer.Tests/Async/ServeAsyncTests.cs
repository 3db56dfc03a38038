using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SocketServer.Internal.Reactor;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Async;

/// <summary>
/// ServeAsync on the reactor: echo over every stream transport, framing, failures, stopping. The same cases run on
/// io_uring in <see cref="IoUringServeAsyncTests"/>.
/// </summary>
public class ServeAsyncTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly CancellationTokenSource _timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    public ServeAsyncTests()
    {
        Assert.SkipUnless(ReactorNative.IsSupported, "ServeAsync's reactor runs on 64-bit Linux");
        _timeout.CancelAfter(TestTimeouts.Long);
    }

    /// <summary>The transport every case serves on.</summary>
    protected virtual AsyncTransport Transport => AsyncTransport.Epoll;

    private CancellationToken Token => _timeout.Token;

    public static TheoryData<string> Transports => new() { "127.0.0.1", "::1", "unix" };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task EchoesLinesForManyConcurrentClients(string transport)
    {
        TcpServer server = Create(transport, static () => new AsyncLineEchoHandler());
        server.AsyncLoopCount = 2;
        using (server)
        {
            Task serving = server.ServeAsync(Token);
            var clients = Enumerable.Range(0, 32).Select(async id =>
            {
                using Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
                for (int i = 0; i < 50; i++)
                {
                    byte[] line = Encoding.ASCII.GetBytes($"client {id} line {i}\n");
                    await client.SendAsync(line, Token);
                    Assert.Equal(line, await AsyncClients.ReceiveExactlyAsync(client, line.Length, Token));
                }
            });
            await Task.WhenAll(clients);
            server.Shutdown();
            await serving.WaitAsync(Token);
        }
    }

    [Fact]
    public async Task EchoesLinesSplitAcrossWritesAndManyLinesInOneWrite()
    {
        using TcpServer server = Create("127.0.0.1", static () => new AsyncLineEchoHandler());
        Task serving = server.ServeAsync(Token);
        using Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
        client.NoDelay = true;
        byte[] all = Encoding.ASCII.GetBytes("one\ntwo\nthree\n");
        await client.SendAsync(all.AsMemory(0, 2), Token);
        await Task.Yield();
        await client.SendAsync(all.AsMemory(2), Token);
        Assert.Equal(all, await AsyncClients.ReceiveExactlyAsync(client, all.Length, Token));
        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await AsyncClients.ReceiveToEndAsync(client, Token));
        server.Shutdown();
        await serving.WaitAsync(Token);
    }

    [Fact]
    public async Task EchoesLengthPrefixedFrames()
    {
        using TcpServer server = Create("127.0.0.1", static () => new AsyncFrameEchoHandler());
        Task serving = server.ServeAsync(Token);
        using Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
        foreach (int size in new[] { 0, 1, 5, 999, 1000 })
        {
            byte[] frame = new byte[4 + size];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)size);
            Random.Shared.NextBytes(frame.AsSpan(4));
            await client.SendAsync(frame, Token);
            Assert.Equal(frame, await AsyncClients.ReceiveExactlyAsync(client, frame.Length, Token));
        }

        server.Shutdown();
        await serving.WaitAsync(Token);
    }

    [Fact]
    public async Task TooLongLineIsAClearErrorClosesThatConnectionAndOthersAreServed()
    {
        AsyncLineEchoHandler.MaxLineLength = 16;
        try
        {
            using var server = new RecordingTcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new AsyncLineEchoHandler());
            Task serving = server.ServeAsync(Token);
            using Socket other = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
            using Socket bad = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
            await bad.SendAsync(Encoding.ASCII.GetBytes("ok\n" + new string('x', 40)), Token);
            // The good line before it is echoed; nothing of the long one; then the connection closes.
            Assert.Equal("ok\n"u8.ToArray(), await AsyncClients.ReceiveToEndAsync(bad, Token));
            Assert.True(await server.ErrorReported.WaitAsync(TestTimeouts.Long, Token));
            InvalidDataException error = Assert.IsType<InvalidDataException>(Assert.Single(server.Errors));
            Assert.Contains("longer than 16 bytes", error.Message, StringComparison.Ordinal);

            await other.SendAsync("still here\n"u8.ToArray(), Token);
            Assert.Equal("still here\n"u8.ToArray(), await AsyncClients.ReceiveExactlyAsync(other, 11, Token));
            server.Shutdown();
            await serving.WaitAsync(Token);
        }
        finally
        {
            AsyncLineEchoHandler.MaxLineLength = AsyncStreamRequestHandler.DefaultMaxLineLength;
        }
    }

    [Fact]
    public async Task HandlerExceptionGoesToHandleErrorAndServingContinues()
    {
        using var server = new RecordingTcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new ThrowingAsyncHandler());
        Task serving = server.ServeAsync(Token);
        for (int i = 0; i < 3; i++)
        {
            using Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
            await client.SendAsync("boom\n"u8.ToArray(), Token);
            Assert.Empty(await AsyncClients.ReceiveToEndAsync(client, Token));
            Assert.True(await server.ErrorReported.WaitAsync(TestTimeouts.Long, Token));
        }

        Assert.Equal(3, server.Errors.Count);
        Assert.All(server.Errors, e => Assert.Equal("handler failed on purpose", e.Message));
        server.Shutdown();
        await serving.WaitAsync(Token);
    }

    [Fact]
    public async Task HalfCloseEndsTheHandlersInputAndItsReplyStillArrives()
    {
        using TcpServer server = Create("127.0.0.1", static () => new AsyncLineEchoHandler());
        Task serving = server.ServeAsync(Token);
        using Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
        // No newline: the handler gets the last bytes as a line only once the client ends its stream.
        await client.SendAsync("last words"u8.ToArray(), Token);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal("last words"u8.ToArray(), await AsyncClients.ReceiveToEndAsync(client, Token));
        server.Shutdown();
        await serving.WaitAsync(Token);
    }

    [Fact]
    public async Task AConnectionTheServerEndedIsClosedForGoodSoLateBytesAreRefused()
    {
        // The handler says goodbye without reading: the server shuts the socket down and closes it. Nothing of the
        // connection may keep the socket alive in the kernel after that (io_uring's armed receive did, until the
        // peer sent or closed): the client's late bytes then reach a closed socket, which answers with a reset, and
        // a later send fails. Bounded in count and by the test's timeout; it fails by the timeout if no reset comes.
        using TcpServer server = Create("127.0.0.1", static () => new AsyncGoodbyeHandler());
        Task serving = server.ServeAsync(Token);
        using Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
        Assert.Equal("bye\n"u8.ToArray(), await AsyncClients.ReceiveToEndAsync(client, Token));
        SocketException refused = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            for (int i = 0; i < 1_000_000; i++)
            {
                await client.SendAsync("late"u8.ToArray(), Token);
            }
        });
        Assert.True(refused.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown, $"{refused.SocketErrorCode}");
        server.Shutdown();
        await serving.WaitAsync(Token);
    }

    [Fact]
    public async Task ClientResetMidMessageLeavesOthersServed()
    {
        using var server = new RecordingTcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new AsyncLineEchoHandler());
        Task serving = server.ServeAsync(Token);
        using Socket other = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
        for (int i = 0; i < 5; i++)
        {
            using Socket resetting = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
            await resetting.SendAsync("half a li"u8.ToArray(), Token);
            resetting.LingerState = new LingerOption(enable: true, seconds: 0);
            resetting.Close();
        }

        await other.SendAsync("fine\n"u8.ToArray(), Token);
        Assert.Equal("fine\n"u8.ToArray(), await AsyncClients.ReceiveExactlyAsync(other, 5, Token));
        server.Shutdown();
        await serving.WaitAsync(Token);
    }

    [Fact]
    public async Task BackPressureHoldsASlowReaderAndEveryByteArrives()
    {
        using TcpServer server = Create("127.0.0.1", static () => new AsyncLineEchoHandler());
        server.AsyncLoopCount = 1;
        Task serving = server.ServeAsync(Token);
        using Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
        byte[] line = Encoding.ASCII.GetBytes(new string('a', 1023) + "\n");
        const int Lines = 16 * 1024; // 16 MiB: far more than the server may buffer.
        // Send everything while reading nothing.
        Task sending = Task.Run(
            async () =>
            {
                for (int i = 0; i < Lines; i++)
                {
                    await client.SendAsync(line, Token);
                }
            },
            Token);

        // The event that proves back-pressure: the server's output filled up, its handler waits in FlushAsync, its
        // input filled up, and the connection stopped reading from the socket. Without it this never happens.
        Func<int> blocksCreated;
        int blockBound;
        if (server.IoUringSession is { } uring)
        {
            Internal.IoUring.IoUringLoop loop = uring.Loops[0];
            while (!await OnLoopAsync(loop.Post, () => uring.ConnectionsOf(0).Any(c => c.IsReadPaused)))
            {
                Token.ThrowIfCancellationRequested();
            }

            blocksCreated = () => loop.SegmentPool.BlocksCreated;
            // As on epoll, plus what a multishot receive delivers between the pause and its cancellation taking
            // effect, once per arming (the kernel retries up to 32 times per wake-up, 16 KiB each): measured up to
            // 397 blocks (1.6 MiB) for these 16 MiB. Bounded, and far below the volume, which is what this checks.
            blockBound = 64 + (4 * 32 * 4);
        }
        else
        {
            Internal.Reactor.ReactorServeSession session = server.ReactorSession!;
            Internal.Reactor.EventLoop loop = session.Group.Loops[0];
            while (!await OnLoopAsync(loop.Post, () => session.ConnectionsOf(0).Any(c => c.IsReadPaused)))
            {
                Token.ThrowIfCancellationRequested();
            }

            blocksCreated = () => loop.SegmentPool.BlocksCreated;
            blockBound = 64;
        }

        byte[] buffer = new byte[64 * 1024];
        long received = 0;
        int offsetInLine = 0;
        while (received < (long)Lines * line.Length)
        {
            int read = await client.ReceiveAsync(buffer, Token);
            Assert.NotEqual(0, read);
            for (int i = 0; i < read; i++)
            {
                Assert.Equal(line[offsetInLine], buffer[i]);
                offsetInLine = (offsetInLine + 1) % line.Length;
            }

            received += read;
        }

        await sending.WaitAsync(Token);
        // Bounded: at most 64 KiB unconsumed input plus one 64 KiB read, 64 KiB unsent output plus the line being
        // written, in 4 KiB blocks: about 50 blocks, whatever the volume. The pool is the loop's own.
        Assert.InRange(blocksCreated(), 1, blockBound);
        server.Shutdown();
        await serving.WaitAsync(Token);
    }

    private static Task<bool> OnLoopAsync(Action<Internal.Reactor.IReactorWork> post, Func<bool> probe)
    {
        var work = new ProbeWork(probe);
        post(work);
        return work.Result.Task.WaitAsync(TestTimeouts.Long);
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _timeout.Dispose();
            _directory.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task AHandlerThatAsksForItsRequestGetsTheConnectionsSocketTheSameEachTime(string transport)
    {
        // With no hook overridden the loops build the request's Socket only when asked (AcceptedSocket): what the
        // handler sees must be what an eager accept gave, the same object on every read.
        var seen = new TaskCompletionSource<RequestSeen>(TaskCreationOptions.RunContinuationsAsynchronously);
        using TcpServer server = Create(transport, () => new RequestProbeHandler(seen));
        Task serving = server.ServeAsync(Token);
        using Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
        Assert.Equal("ok\n"u8.ToArray(), await AsyncClients.ReceiveToEndAsync(client, Token));
        RequestSeen request = await seen.Task.WaitAsync(Token);
        Assert.IsAssignableFrom<Socket>(request.First);
        Assert.Same(request.First, request.Second);
        if (transport != "unix")
        {
            Assert.Equal(client.LocalEndPoint, request.ClientAddress);
            Assert.Equal(client.LocalEndPoint, request.Remote);
            Assert.Equal(client.RemoteEndPoint, request.Local);
        }

        server.Shutdown();
        await serving.WaitAsync(Token);
    }

    [Fact]
    public async Task EachClientGetsItsOwnAddressAndPortWhetherItsAddressIsTheLastClientsOrNot()
    {
        // The loops give connections from the last client's address that client's IPAddress object (one for all the
        // connections a proxy or a load balancer makes): each must still see its own address and port.
        var seen = new System.Collections.Concurrent.ConcurrentQueue<EndPoint?>();
        using TcpServer server = Create("127.0.0.1", () => new ClientAddressHandler(seen));
        Task serving = server.ServeAsync(Token);
        var expected = new List<string>();
        foreach (string from in new[] { "127.0.0.1", "127.0.0.2", "127.0.0.2", "127.0.0.1", "127.0.0.1" })
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
            await client.ConnectAsync(server.ServerAddress, Token);
            string local = client.LocalEndPoint!.ToString()!;
            expected.Add(local);
            Assert.Equal(local + "\n", Encoding.ASCII.GetString(await AsyncClients.ReceiveToEndAsync(client, Token)));
        }

        server.Shutdown();
        await serving.WaitAsync(Token);
        IPEndPoint[] addresses = seen.Select(address => Assert.IsType<IPEndPoint>(address)).ToArray();
        Assert.Equal(expected, addresses.Select(address => address.ToString()));
        Assert.Same(addresses[3].Address, addresses[4].Address);
    }

    [Fact]
    public async Task AReplyStillUnreadWhenTheServerClosesArrivesWholeAndEndsWithAnOrderlyClose()
    {
        // The client reads only once the server has ended the connection: the reply then waits in the kernel. The
        // close must be an orderly one (FIN), not a reset (as disposing a bare SafeSocketHandle would make it).
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using TcpServer server = Create("127.0.0.1", () => new AsyncBulkReplyHandler(64 * 1024, written));
        Task serving = server.ServeAsync(Token);
        using Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
        await written.Task.WaitAsync(Token);
        Eventually.True(() => server.Connections.Count == 0, "the server ended the connection");
        byte[] reply = await AsyncClients.ReceiveToEndAsync(client, Token);
        Assert.Equal(64 * 1024, reply.Length);
        Assert.All(reply, b => Assert.Equal((byte)'x', b));
        // An orderly close leaves the client's side open (CLOSE_WAIT): its first send is still taken by its kernel.
        // After a reset, the connection is gone and the send fails (EPIPE).
        Assert.Equal(4, client.Send("late"u8));
        server.Shutdown();
        await serving.WaitAsync(Token);
    }

    [Fact]
    public async Task AServerThatOverridesAHookIsGivenTheSocketItselfAsTheRequest()
    {
        TestTransports.SkipUnlessAvailable(Transport);
        var seen = new TaskCompletionSource<RequestSeen>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var server = new VerifyingServer(new IPEndPoint(IPAddress.Loopback, 0), () => new RequestProbeHandler(seen)) { AsyncTransport = Transport };
        Task serving = server.ServeAsync(Token);
        using Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
        Assert.Equal("ok\n"u8.ToArray(), await AsyncClients.ReceiveToEndAsync(client, Token));
        RequestSeen request = await seen.Task.WaitAsync(Token);
        object verified = Assert.Single(server.Verified);
        Assert.IsAssignableFrom<Socket>(verified);
        Assert.Same(verified, request.First);
        server.Shutdown();
        await serving.WaitAsync(Token);
    }

    private TcpServer Create(string transport, Func<BaseRequestHandler> factory)
    {
        TestTransports.SkipUnlessAvailable(Transport);
        TcpServer server = transport switch
        {
            "unix" => new UnixStreamServer(new UnixDomainSocketEndPoint(_directory.NewSocketPath()), factory),
            "::1" => new TcpServer(new IPEndPoint(IPAddress.IPv6Loopback, 0), factory),
            _ => new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), factory),
        };
        server.AsyncTransport = Transport;
        return server;
    }

    private sealed record RequestSeen(object First, object Second, EndPoint? ClientAddress, EndPoint? Remote, EndPoint? Local);

    private sealed class RequestProbeHandler(TaskCompletionSource<RequestSeen> seen) : AsyncStreamRequestHandler
    {
        protected override async ValueTask HandleAsync()
        {
            var socket = (Socket)Request;
            seen.TrySetResult(new RequestSeen(socket, Request, ClientAddress, socket.RemoteEndPoint, socket.LocalEndPoint));
            Output.Write("ok\n"u8);
            await Output.FlushAsync();
        }
    }

    private sealed class ClientAddressHandler(System.Collections.Concurrent.ConcurrentQueue<EndPoint?> seen) : AsyncStreamRequestHandler
    {
        protected override async ValueTask HandleAsync()
        {
            seen.Enqueue(ClientAddress);
            Output.Write(Encoding.ASCII.GetBytes($"{ClientAddress}\n"));
            await Output.FlushAsync();
        }
    }

    private sealed class AsyncBulkReplyHandler(int length, TaskCompletionSource written) : AsyncStreamRequestHandler
    {
        protected override async ValueTask HandleAsync()
        {
            Output.GetSpan(length)[..length].Fill((byte)'x');
            Output.Advance(length);
            await Output.FlushAsync();
            written.SetResult();
        }
    }

    private sealed class VerifyingServer(EndPoint address, Func<BaseRequestHandler> factory) : TcpServer(address, factory)
    {
        public System.Collections.Concurrent.ConcurrentQueue<object> Verified { get; } = new();

        protected override bool VerifyRequest(object request, EndPoint? clientAddress)
        {
            Verified.Enqueue(request);
            return true;
        }
    }

    private sealed class ProbeWork(Func<bool> probe) : Internal.Reactor.IReactorWork
    {
        public TaskCompletionSource<bool> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Execute() => Result.SetResult(probe());
    }
}
