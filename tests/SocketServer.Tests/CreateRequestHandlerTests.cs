using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SocketServer.Internal.Reactor;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>
/// <see cref="BaseServer.CreateRequestHandler"/> is given the request its handler serves, once per request in every
/// mode, and that request's <see cref="BaseServer.ShutdownRequest"/> comes after the handler finished: what a server
/// that gives each request resources of its own (a dependency-injection scope) relies on to release them.
/// </summary>
public sealed class CreateRequestHandlerTests
{
    public static TheoryData<ServeMode, HandlerShape> Rows => ServeModes.Rows(ServeModes.All);

    [Theory]
    [MemberData(nameof(Rows))]
    public void EachRequestsHandlerIsCreatedForItAndItEndsAfterTheHandler(ServeMode mode, HandlerShape shape)
    {
        ServeModes.SkipUnlessSupported(mode);
        using var log = new RequestLog();
        var address = new IPEndPoint(IPAddress.Loopback, 0);
        using TcpServer server = mode == ServeMode.Threading
            ? new RecordingThreadingTcpServer(address, log, shape)
            : new RecordingTcpServer(address, log, shape);
        server.AsyncTransport = mode switch { ServeMode.Portable => AsyncTransport.Portable, ServeMode.IoUring => AsyncTransport.IoUring, _ => AsyncTransport.Epoll };
        Task serving = Serve(server, mode);

        for (int i = 0; i < 3; i++)
        {
            using Socket client = Clients.ConnectStream(server.ServerAddress);
            client.Send(Encoding.ASCII.GetBytes($"line {i}\n"));
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal($"line {i}\n", Encoding.ASCII.GetString(Clients.ReceiveToEnd(client)));
        }

        log.WaitForEnds(3);
        server.Shutdown();
        serving.Wait(TestTimeouts.Long, TestContext.Current.CancellationToken);

        Assert.Equal(3, log.Created.Count);
        foreach ((object request, ITrackedHandler handler) in log.Created)
        {
            // The handler served the request it was created for, and had finished when that request was ended, once.
            Assert.Same(request, handler.Served);
            Assert.Equal([true], log.EndsOf(request));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnAsyncDatagramHandlerStillRunningEndsItsRequestWhenItCompletes(bool portable)
    {
        Assert.SkipUnless(portable || ReactorNative.IsSupported, "ServeAsync's reactor runs on 64-bit Linux");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TestTimeouts.Long);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ended = new ConcurrentQueue<string>();
        using var secondEnded = new SemaphoreSlim(0);
        using var server = new EndRecordingUdpServer(new IPEndPoint(IPAddress.Loopback, 0), () => new GatedDatagramHandler(gate.Task, started), ended, secondEnded)
        {
            UsePortableAsyncTransport = portable,
        };
        Task serving = server.ServeAsync(cts.Token);
        using Socket client = Clients.CreateDatagram(server.ServerAddress);

        // The first handler waits at the gate; the second completes at once. Datagrams are served in order where they
        // are received, so once the second was ended the first's FinishRequest has long returned.
        await client.SendToAsync("wait"u8.ToArray(), server.ServerAddress, cts.Token);
        await started.Task.WaitAsync(cts.Token);
        await client.SendToAsync("now"u8.ToArray(), server.ServerAddress, cts.Token);
        Assert.True(await secondEnded.WaitAsync(TestTimeouts.Long, cts.Token), "the second datagram's request was not ended");
        Assert.Equal(["now"], ended);

        gate.SetResult();
        byte[] reply = new byte[16];
        int received = await client.ReceiveAsync(reply, cts.Token);
        Assert.Equal("wait", Encoding.ASCII.GetString(reply, 0, received));
        Assert.True(await secondEnded.WaitAsync(TestTimeouts.Long, cts.Token), "the first datagram's request was not ended");
        Assert.Equal(["now", "wait"], ended);

        server.Shutdown();
        await serving.WaitAsync(cts.Token);
    }

    private static Task Serve(TcpServer server, ServeMode mode) => mode switch
    {
        ServeMode.Sync or ServeMode.Threading => Task.Factory.StartNew(
            () => server.ServeForever(TimeSpan.FromMilliseconds(10)),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default),
        _ => server.ServeAsync(TestContext.Current.CancellationToken),
    };

    /// <summary>A handler that can say which request it served and whether it finished.</summary>
    private interface ITrackedHandler
    {
        object? Served { get; }

        bool Finished { get; }
    }

    /// <summary>Which handler was created for which request, and whether it had finished when the request was ended.</summary>
    private sealed class RequestLog : IDisposable
    {
        private readonly ConcurrentDictionary<object, ITrackedHandler> _created = new(ReferenceEqualityComparer.Instance);
        private readonly ConcurrentDictionary<object, ConcurrentQueue<bool>> _ends = new(ReferenceEqualityComparer.Instance);
        private readonly SemaphoreSlim _ended = new(0);

        public IReadOnlyList<(object Request, ITrackedHandler Handler)> Created => [.. _created.Select(static p => (p.Key, p.Value))];

        public BaseRequestHandler Create(object request, HandlerShape shape)
        {
            BaseRequestHandler handler = shape == HandlerShape.Sync ? new SyncEcho() : new AsyncEcho();
            Assert.True(_created.TryAdd(request, (ITrackedHandler)handler), "a second handler was created for one request");
            return handler;
        }

        public void Ended(object request)
        {
            // A refused or failed request has no handler; none is expected here.
            bool finished = _created.TryGetValue(request, out ITrackedHandler? handler) && handler.Finished;
            _ends.GetOrAdd(request, static _ => new ConcurrentQueue<bool>()).Enqueue(finished);
            _ended.Release();
        }

        public IReadOnlyList<bool> EndsOf(object request) => _ends.TryGetValue(request, out ConcurrentQueue<bool>? ends) ? [.. ends] : [];

        public void Dispose() => _ended.Dispose();

        public void WaitForEnds(int count)
        {
            for (int i = 0; i < count; i++)
            {
                Assert.True(_ended.Wait(TestTimeouts.Long), "ShutdownRequest was not called");
            }
        }
    }

    private sealed class RecordingTcpServer(EndPoint address, RequestLog log, HandlerShape shape)
        : TcpServer(address, static () => throw new InvalidOperationException("CreateRequestHandler is overridden"))
    {
        protected override BaseRequestHandler CreateRequestHandler(object request, EndPoint? clientAddress) => log.Create(request, shape);

        protected override void ShutdownRequest(object request)
        {
            log.Ended(request);
            base.ShutdownRequest(request);
        }
    }

    /// <summary>The threading twin of <see cref="RecordingTcpServer"/> (C# has no mix-ins).</summary>
    private sealed class RecordingThreadingTcpServer(EndPoint address, RequestLog log, HandlerShape shape)
        : ThreadingTcpServer(address, static () => throw new InvalidOperationException("CreateRequestHandler is overridden"))
    {
        protected override BaseRequestHandler CreateRequestHandler(object request, EndPoint? clientAddress) => log.Create(request, shape);

        protected override void ShutdownRequest(object request)
        {
            log.Ended(request);
            base.ShutdownRequest(request);
        }
    }

    private sealed class SyncEcho : StreamRequestHandler, ITrackedHandler
    {
        public object? Served { get; private set; }

        public bool Finished { get; private set; }

        protected override void Handle()
        {
            Served = Request;
            for (byte[] line = RFile.ReadLine(); line.Length > 0; line = RFile.ReadLine())
            {
                WFile.Write(line);
            }
        }

        protected override void Finish()
        {
            base.Finish();
            Finished = true;
        }
    }

    private sealed class AsyncEcho : AsyncStreamRequestHandler, ITrackedHandler
    {
        public object? Served { get; private set; }

        public bool Finished { get; private set; }

        protected override async ValueTask HandleAsync()
        {
            Served = Request;
            while (await ReadLineAsync() is { } line)
            {
                foreach (ReadOnlyMemory<byte> segment in line)
                {
                    Output.Write(segment.Span);
                }

                await Output.FlushAsync();
            }
        }

        protected override async ValueTask FinishAsync()
        {
            await base.FinishAsync();
            Finished = true;
        }
    }

    private sealed class EndRecordingUdpServer(EndPoint address, Func<BaseRequestHandler> factory, ConcurrentQueue<string> ended, SemaphoreSlim signal)
        : UdpServer(address, factory)
    {
        protected override void ShutdownRequest(object request)
        {
            ended.Enqueue(Encoding.ASCII.GetString(((DatagramRequest)request).Packet));
            signal.Release();
            base.ShutdownRequest(request);
        }
    }

    /// <summary>Replies with the datagram; "wait" first waits at the gate (off the loop), anything else replies at once.</summary>
    private sealed class GatedDatagramHandler(Task gate, TaskCompletionSource started) : AsyncDatagramRequestHandler
    {
        protected override async ValueTask HandleAsync()
        {
            if (Encoding.ASCII.GetString(Packet) == "wait")
            {
                started.SetResult();
                await gate.ConfigureAwait(false);
                Reply(Packet);
            }
        }
    }
}
