using System.Buffers;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using SocketServer.Internal.Diagnostics;
using SocketServer.Internal.Reactor;
using SocketServer.Tests.Async;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Diagnostics;

/// <summary>
/// The reactor's echo still allocates nothing per message with every <c>SocketServer</c> instrument listened to (a
/// <see cref="MeterListener"/> and a <see cref="MetricCollector{T}"/>, which allocates per measurement it receives):
/// bytes are counted into totals that listeners read when they collect, never measured per read.
/// </summary>
public sealed class MetricsAllocationTests : IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TestTimeouts.Long);
    private readonly TestMeterFactory _meters = new();

    [Theory]
    [InlineData("reactor")]
    [InlineData("io_uring")]
    public async Task EchoAllocatesNothingPerMessageWithTheMeterListenedTo(string transport)
    {
        var probe = new AllocationProbe();
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), () => new AllocationProbingEchoHandler(probe)) { MeterFactory = _meters };
        TestTransports.Use(server, transport);
        server.AsyncLoopCount = 1;
        Meter meter = server.Diagnostics.Metrics.Meter;
        long measurements = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter == meter)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => Interlocked.Increment(ref measurements));
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref measurements));
        listener.Start();
        using var io = new MetricCollector<long>(meter, "socketserver.io");
        using var active = new MetricCollector<long>(meter, "socketserver.active_connections");

        Task serving = server.ServeAsync(_timeout.Token);
        using (Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, _timeout.Token))
        {
            client.NoDelay = true;
            byte[] message = new byte[32];
            byte[] reply = new byte[32];
            for (int i = 0; i < AllocationProbe.LastMessage + 10; i++)
            {
                await client.SendAsync(message, _timeout.Token);
                int got = 0;
                while (got < reply.Length)
                {
                    got += await client.ReceiveAsync(reply.AsMemory(got), _timeout.Token);
                }
            }

            // Collected while the connection is open: the listeners run, the loop's echo goes on unaffected. The last
            // send is counted just after the system call that delivered it, so wait for it rather than race it.
            long expected = (AllocationProbe.LastMessage + 10) * 32L;
            Eventually.True(() => Total(io, "receive") == expected && Total(io, "transmit") == expected, $"{expected} bytes counted each way");
            listener.RecordObservableInstruments();
        }

        Assert.Equal(0, probe.Difference);
        Assert.True(Interlocked.Read(ref measurements) > 0, "the listener received measurements");
        server.Shutdown();
        await serving.WaitAsync(_timeout.Token);
    }

    [Fact]
    public void CountingBytesAllocatesNothing()
    {
        var traffic = new TrafficTotals();
        traffic.Received(1);
        traffic.Sent(1);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            traffic.Received(32);
            traffic.Sent(32);
            traffic.DatagramReceived(32);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1 + (10_000 * 64L), traffic.ReceivedBytes);
        Assert.Equal(10_000, traffic.ReceivedDatagrams);
    }

    public void Dispose()
    {
        _meters.Dispose();
        _timeout.Dispose();
    }

    private static long Total(MetricCollector<long> io, string direction)
    {
        io.Clear();
        io.RecordObservableInstruments();
        return io.GetMeasurementSnapshot().Single(m => Equals(m.Tags["network.io.direction"], direction)).Value;
    }
}
