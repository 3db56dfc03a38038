using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using SocketServer.Internal.Reactor;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Async;

/// <summary>
/// The reactor's datagram path: batches (<c>recvmmsg</c>/<c>sendmmsg</c>), pooled requests that no running handler
/// loses, replies in order, dropped replies counted, and no allocation per datagram for a reusable async handler.
/// </summary>
public sealed class ReactorDatagramTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly CancellationTokenSource _timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    public ReactorDatagramTests()
    {
        Assert.SkipUnless(ReactorNative.IsSupported, "ServeAsync's reactor runs on 64-bit Linux");
        _timeout.CancelAfter(TestTimeouts.Long);
    }

    [Theory]
    [InlineData("udp", true)]
    [InlineData("udp", false)]
    [InlineData("unix-dgram", true)]
    [InlineData("unix-dgram", false)]
    public async Task AllocatesNothingPerDatagramWithAReusableHandler(string transport, bool reusable)
    {
        var probe = new AllocationProbe();
        AllocationProbingDatagramHandler.ResetCount();
        int handlers = 0;
        using UdpServer server = CreateServer(transport, () =>
        {
            Interlocked.Increment(ref handlers);
            return new AllocationProbingDatagramHandler(probe, reusable);
        });
        Task serving = server.ServeAsync(_timeout.Token);
        using Socket client = Clients.CreateDatagram(server.ServerAddress, _directory);
        byte[] message = new byte[64];
        byte[] reply = new byte[64];
        for (int i = 0; i < AllocationProbe.LastMessage + 10; i++)
        {
            await client.SendToAsync(message, server.ServerAddress, _timeout.Token);
            int received = await client.ReceiveAsync(reply, _timeout.Token);
            Assert.Equal(message.Length, received);
        }

        server.Shutdown();
        await serving.WaitAsync(_timeout.Token);
        double perDatagram = (double)probe.Difference / (AllocationProbe.LastMessage - AllocationProbe.FirstMessage);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{transport}, reusable {reusable}: {probe.Difference} bytes over {AllocationProbe.LastMessage - AllocationProbe.FirstMessage} datagrams ({perDatagram:F1} per datagram), {handlers} handlers created");
        Assert.True(probe.Difference >= 0, "the probe did not see both marks");
        if (reusable)
        {
            Assert.Equal(0, probe.Difference);
            Assert.Equal(1, handlers);
        }
        else
        {
            // A new handler per datagram (Python's semantics) and nothing else: the handler object only.
            Assert.Equal(AllocationProbe.LastMessage + 10, handlers);
            Assert.InRange(perDatagram, 1, 128);
        }
    }

    [Fact]
    public async Task AHandlerStillRunningKeepsItsDatagramWhileOthersAreServed()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ended = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var server = new HookedUdpServer(new IPEndPoint(IPAddress.Loopback, 0), () => new HoldingHandler(gate.Task));
        server.Ended = ended;
        Task serving = server.ServeAsync(_timeout.Token);
        using Socket client = Clients.CreateDatagram(server.ServerAddress);
        await client.SendToAsync("hold: the first datagram"u8.ToArray(), server.ServerAddress, _timeout.Token);
        byte[] reply = new byte[256];
        // Many more datagrams than a batch and the pool's free list: every pooled buffer is used again meanwhile.
        for (int i = 0; i < 300; i++)
        {
            byte[] message = Encoding.ASCII.GetBytes($"datagram {i:D4} xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
            await client.SendToAsync(message, server.ServerAddress, _timeout.Token);
            int received = await client.ReceiveAsync(reply, _timeout.Token);
            Assert.Equal(message, reply.AsSpan(0, received).ToArray());
        }

        Assert.False(ended.Task.IsCompleted, "the held request was ended while its handler ran");
        gate.SetResult();
        int got = await client.ReceiveAsync(reply, _timeout.Token);
        Assert.Equal("hold: the first datagram", Encoding.ASCII.GetString(reply, 0, got));
        // ShutdownRequest still comes after the handler, and still sees the datagram.
        Assert.Equal("hold: the first datagram", await ended.Task.WaitAsync(_timeout.Token));
        server.Shutdown();
        await serving.WaitAsync(_timeout.Token);
    }

    [Fact]
    public async Task RepliesOfABatchKeepTheirOrder()
    {
        using var server = new UdpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new EchoHandler());
        Task serving = server.ServeAsync(_timeout.Token);
        using Socket client = Clients.CreateDatagram(server.ServerAddress);
        client.ReceiveBufferSize = 1 << 20;
        const int Count = 200;
        for (int i = 0; i < Count; i++)
        {
            // Sent without waiting: the server receives them several at a time and replies per batch.
            client.SendTo(Encoding.ASCII.GetBytes(i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)), server.ServerAddress);
        }

        byte[] reply = new byte[16];
        for (int i = 0; i < Count; i++)
        {
            int got = await client.ReceiveAsync(reply, _timeout.Token);
            Assert.Equal(i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture), Encoding.ASCII.GetString(reply, 0, got));
        }

        server.Shutdown();
        await serving.WaitAsync(_timeout.Token);
    }

    [Fact]
    public async Task RepliesTheSocketCannotTakeAreDroppedCountedAndLogged()
    {
        // A Unix datagram client that never reads: once its queue is full, the server's sends fail with EAGAIN.
        using var meters = new TestMeterFactory();
        using var logs = new LogCapture();
        const int Count = 3000;
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int served = 0;
        using var server = new UnixDatagramServer(
            new UnixDomainSocketEndPoint(_directory.NewSocketPath()),
            () => new CountingEchoHandler(() =>
            {
                if (++served == Count)
                {
                    handled.SetResult();
                }
            }))
        {
            MeterFactory = meters,
            LoggerFactory = logs.Factory,
        };
        using var dropped = new MetricCollector<long>(server.Diagnostics.Metrics.Meter, "socketserver.datagrams.dropped");
        Task serving = server.ServeAsync(_timeout.Token);
        using Socket client = Clients.CreateDatagram(server.ServerAddress, _directory);
        byte[] message = new byte[100];
        for (int i = 0; i < Count; i++)
        {
            await client.SendToAsync(message, server.ServerAddress, _timeout.Token);
        }

        await handled.Task.WaitAsync(_timeout.Token);
        // The loop's stop runs after the batch in progress, whose replies are flushed first.
        server.Shutdown();
        await serving.WaitAsync(_timeout.Token);
        long droppedCount = dropped.GetMeasurementSnapshot().Sum(static m => m.Value);
        long sent = server.Diagnostics.Traffic.SentDatagrams;
        Assert.True(droppedCount > 0, "no reply was dropped: the client's queue never filled");
        Assert.Equal(Count, droppedCount + sent);
        Assert.All(dropped.GetMeasurementSnapshot(), static m => Assert.Equal("WouldBlock", m.Tags["error.type"]));
        Assert.NotEmpty(logs.OfEvent(820));
    }

    [Fact]
    public void TheClientAddressCacheAllocatesOncePerClientAndStaysBounded()
    {
        var cache = new ClientAddressCache(new IPEndPoint(IPAddress.Loopback, 0));
        var first = new IPEndPoint(IPAddress.Parse("127.0.0.2"), 4000).Serialize();
        EndPoint a = cache.Find(first);
        Assert.Same(a, cache.Find(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 4000).Serialize()));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 4000), a);
        Assert.Equal(1, cache.Misses);

        // A flood of distinct senders: each costs one EndPoint, the table does not grow, and answers stay right.
        for (int port = 1; port <= 5 * ClientAddressCache.Capacity; port++)
        {
            SocketAddress address = new IPEndPoint(IPAddress.Parse("10.0.0.1"), port).Serialize();
            Assert.Equal(new IPEndPoint(IPAddress.Parse("10.0.0.1"), port), cache.Find(address));
        }

        Assert.Equal(1 + (5 * ClientAddressCache.Capacity), cache.Misses);
    }

    public void Dispose()
    {
        _timeout.Dispose();
        _directory.Dispose();
    }

    private UdpServer CreateServer(string transport, Func<BaseRequestHandler> factory) => transport switch
    {
        "unix-dgram" => new UnixDatagramServer(new UnixDomainSocketEndPoint(_directory.NewSocketPath()), factory),
        _ => new UdpServer(new IPEndPoint(IPAddress.Loopback, 0), factory),
    };

    private sealed class EchoHandler : AsyncDatagramRequestHandler
    {
        protected override ValueTask HandleAsync()
        {
            Reply(Data.Span);
            return default;
        }
    }

    private sealed class CountingEchoHandler(Action served) : AsyncDatagramRequestHandler
    {
        protected override ValueTask HandleAsync()
        {
            Reply(Data.Span);
            served();
            return default;
        }
    }

    private sealed class HoldingHandler(Task gate) : AsyncDatagramRequestHandler
    {
        protected override async ValueTask HandleAsync()
        {
            ReadOnlyMemory<byte> data = Data;
            if (data.Span.StartsWith("hold"u8))
            {
                await gate.ConfigureAwait(false);
            }

            Reply(data.Span);
        }
    }

    private sealed class HookedUdpServer(EndPoint address, Func<BaseRequestHandler> factory) : UdpServer(address, factory)
    {
        public TaskCompletionSource<string>? Ended { get; set; }

        protected override void ShutdownRequest(object request)
        {
            var datagram = (DatagramRequest)request;
            if (datagram.Data.Span.StartsWith("hold"u8))
            {
                Ended?.TrySetResult(Encoding.ASCII.GetString(datagram.Data.Span));
            }

            base.ShutdownRequest(request);
        }
    }
}
