using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using SocketServer.Internal.Diagnostics;
using SocketServer.Internal.Reactor;
using SocketServer.Tests.Async;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Diagnostics;

/// <summary>
/// The <c>SocketServer</c> meter's instruments, collected with <see cref="MetricCollector{T}"/> over real loopback
/// traffic. Each server records on a meter of its own (<see cref="TestMeterFactory"/>), so parallel tests never mix.
/// </summary>
public sealed class MetricsTests : IDisposable
{
    private readonly TestMeterFactory _meters = new();
    private readonly CancellationTokenSource _timeout = new(TestTimeouts.Long);

    private CancellationToken Token => _timeout.Token;

    [Fact]
    public void ARejectedConnectionIsCountedWithTheLimitAndTheServersTags()
    {
        using var server = Limited(static limits => limits.MaxConnectionsPerClient = 1);
        using var rejected = Collector<long>(server, "socketserver.rejected_connections");
        using var runner = new ServerRunner(server);
        using Socket held = Clients.ConnectStream(server.ServerAddress);
        server.WaitForConnections(1);
        using Socket refused = Clients.ConnectStream(server.ServerAddress);
        Assert.Empty(Clients.ReceiveToEnd(refused));

        CollectedMeasurement<long> measurement = Assert.Single(Wait(rejected, 1));
        Assert.Equal(1, measurement.Value);
        AssertServerTags(server, measurement.Tags);
        Assert.Equal("MaxConnectionsPerClient", measurement.Tags["error.type"]);
        held.Dispose();
        runner.Stop();
    }

    [Fact]
    public void AConnectionAbortedByALimitIsCountedWithTheLimit()
    {
        using var server = Limited(static limits => limits.MaxLineLength = 8);
        using var aborted = Collector<long>(server, "socketserver.aborted_connections");
        using var runner = new ServerRunner(server);
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        client.Send("0123456789abcdef\n"u8);
        Assert.Empty(Clients.ReceiveToEnd(client));

        CollectedMeasurement<long> measurement = Assert.Single(Wait(aborted, 1));
        Assert.Equal("MaxLineLength", measurement.Tags["error.type"]);
        AssertServerTags(server, measurement.Tags);
        runner.Stop();
    }

    [Fact]
    public void AnIdleConnectionClosedIsCountedWithItsReason()
    {
        using var server = Limited(static limits =>
        {
            limits.IdleTimeout = TimeSpan.FromSeconds(5);
            limits.FirstUnitTimeout = null;
        });
        using var idle = Collector<long>(server, "socketserver.idle_closed_connections");
        using var runner = new ServerRunner(server);
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        Internal.Limits.ConnectionState state = server.WaitForConnections(1)[0];
        Eventually.True(() => state.IsReading, "the handler waits for a line");
        server.AdvanceSeconds(6);
        Assert.Empty(Clients.ReceiveToEnd(client));

        Assert.Equal("IdleTimeout", Assert.Single(Wait(idle, 1)).Tags["error.type"]);
        runner.Stop();
    }

    [Fact]
    public void AnAcceptPauseAtTheCapIsCountedAndTheWaitingClientsAreObservedInTheBacklog()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Linux reports the accept queue's length (TCP_INFO)");
        using var server = Limited(static limits => limits.MaxConnections = 1);
        using var paused = Collector<long>(server, "socketserver.accept.paused");
        using var queued = Collector<long>(server, "socketserver.queued_connections");
        using var runner = new ServerRunner(server);
        using Socket first = Clients.ConnectStream(server.ServerAddress);
        server.WaitForConnections(1);
        using Socket second = Clients.ConnectStream(server.ServerAddress);
        using Socket third = Clients.ConnectStream(server.ServerAddress);

        Assert.Equal(SocketServerMetrics.MaxConnectionsPause, Assert.Single(Wait(paused, 1)).Tags["error.type"]);
        Eventually.True(() => Observe(queued) == 2, "two clients wait in the listen backlog");
        AssertServerTags(server, queued.LastMeasurement!.Tags);

        first.Dispose();
        second.Dispose();
        third.Dispose();
        Eventually.True(() => Observe(queued) == 0, "the backlog was emptied");
        runner.Stop();
    }

    [Theory]
    [InlineData("threading")]
    [InlineData("async handler on a request thread")]
    [InlineData("reactor")]
    [InlineData("portable")]
    [InlineData("tls")]
    [InlineData("portable tls")]
    public async Task BytesReceivedAndSentAreCountedOnEveryPath(string path)
    {
        bool reactor = path == "reactor";
        Assert.SkipWhen(reactor && !ReactorNative.IsSupported, "the reactor runs on 64-bit Linux");
        bool tls = path.EndsWith("tls", StringComparison.Ordinal);
        bool serveAsync = path is "reactor" or "portable" or "portable tls";
        Func<BaseRequestHandler> handlers = path is "threading" or "tls" ? DiagnosticHandlers.LineEcho : static () => new AsyncLineEchoHandler();
        using TcpServer server = serveAsync
            ? new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), handlers) { UsePortableAsyncTransport = !reactor }
            : new ThreadingTcpServer(new IPEndPoint(IPAddress.Loopback, 0), handlers);
        server.MeterFactory = _meters;
        if (tls)
        {
            server.Tls = TlsOptions.FromPemFiles(TestCertificates.Shared.CertPath("server"), TestCertificates.Shared.KeyPath("server"));
        }

        using var io = Collector<long>(server, "socketserver.io");
        Task serving = serveAsync ? server.ServeAsync(Token) : Task.Run(() => server.ServeForever(TimeSpan.FromMilliseconds(10)), Token);
        byte[] lines = [.. Enumerable.Range(0, 100).SelectMany(static i => System.Text.Encoding.ASCII.GetBytes($"line {i:000}\n"))];
        using (Stream client = tls ? TlsClient.Connect(server.ServerAddress) : new NetworkStream(Clients.ConnectStream(server.ServerAddress), ownsSocket: true))
        {
            client.Write(lines);
            byte[] echoed = new byte[lines.Length];
            client.ReadExactly(echoed);
            Assert.Equal(lines, echoed);
        }

        Eventually.True(() => Direction(io, "receive") == lines.Length && Direction(io, "transmit") == lines.Length, $"{lines.Length} bytes each way");
        AssertServerTags(server, io.LastMeasurement!.Tags);
        server.Shutdown();
        await serving.WaitAsync(Token);
        server.ServerClose();
    }

    [Fact]
    public void ATlsHandshakeIsTimedWithItsVersionOrItsError()
    {
        using var server = new DiagnosticTcpServer(DiagnosticHandlers.LineEcho, TlsOptions.FromPemFiles(TestCertificates.Shared.CertPath("server"), TestCertificates.Shared.KeyPath("server")));
        using var handshakes = new MetricCollector<double>(server.Diagnostics.Metrics.Meter, "socketserver.tls_handshake.duration");
        using var runner = new ServerRunner(server);
        using (SslStream tls = TlsClient.Connect(server.ServerAddress, SslProtocols.Tls13))
        {
            tls.Write("hi\n"u8);
            byte[] reply = new byte[3];
            tls.ReadExactly(reply);
        }

        CollectedMeasurement<double> success = Assert.Single(Wait(handshakes, 1));
        Assert.Equal("1.3", success.Tags["tls.protocol.version"]);
        Assert.False(success.Tags.ContainsKey("error.type"));
        Assert.InRange(success.Value, 0, TestTimeouts.Long.TotalSeconds);
        AssertServerTags(server, success.Tags);

        using (Socket plaintext = Clients.ConnectStream(server.ServerAddress))
        {
            plaintext.Send("not a hello\n"u8);
            Clients.ReceiveToEnd(plaintext);
        }

        CollectedMeasurement<double> failure = Wait(handshakes, 2)[1];
        Assert.False(failure.Tags.ContainsKey("tls.protocol.version"));
        Assert.StartsWith("System.", Assert.IsType<string>(failure.Tags["error.type"]), StringComparison.Ordinal);
        runner.Stop();
    }

    [Fact]
    public void TheRequestPathsRecordingMethodsRecordWithTheServersTags()
    {
        // The simulated accept failure below is logged: into the capture, not onto the test process's standard error
        // (where it would read as a real "Too many open files" beside whichever test fails next).
        using var log = new LogCapture();
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), DiagnosticHandlers.LineEcho) { MeterFactory = _meters, LoggerFactory = log.Factory };
        using var active = Collector<long>(server, "socketserver.active_connections");
        using var duration = new MetricCollector<double>(server.Diagnostics.Metrics.Meter, "socketserver.connection.duration");
        using var errors = Collector<long>(server, "socketserver.handler.errors");
        using var paused = Collector<long>(server, "socketserver.accept.paused");
        ServerDiagnostics diagnostics = server.Diagnostics;

        long opened = diagnostics.ConnectionOpened();
        Assert.Equal(1, Assert.Single(active.GetMeasurementSnapshot()).Value);
        diagnostics.ConnectionClosed(opened, errorType: "System.IO.IOException");
        Assert.Equal(-1, active.LastMeasurement!.Value);
        CollectedMeasurement<double> closed = Assert.Single(duration.GetMeasurementSnapshot());
        Assert.Equal("System.IO.IOException", closed.Tags["error.type"]);
        AssertServerTags(server, closed.Tags);

        diagnostics.HandlerError(new InvalidOperationException("boom"));
        Assert.Equal("System.InvalidOperationException", Assert.Single(errors.GetMeasurementSnapshot()).Tags["error.type"]);

        var exhausted = new SocketException((int)SocketError.TooManyOpenSockets);
        diagnostics.AcceptPausedOutOfDescriptors(exhausted, TimeSpan.FromMilliseconds(5), failures: 1, log: true);
        diagnostics.AcceptPausedOutOfDescriptors(exhausted, TimeSpan.FromMilliseconds(10), failures: 2, log: false);
        Assert.Equal(SocketServerMetrics.DescriptorsPause, Assert.Single(paused.GetMeasurementSnapshot()).Tags["error.type"]);
        Assert.Contains("accepting failed", log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void DatagramsAreCountedOnDatagramServersWithTheirTransport()
    {
        using var server = new UdpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new LineEchoDatagramHandler()) { MeterFactory = _meters };
        using var datagrams = Collector<long>(server, "socketserver.datagrams");
        using var io = Collector<long>(server, "socketserver.io");
        server.Diagnostics.DatagramReceived(100);
        server.Diagnostics.DatagramReceived(20);
        server.Diagnostics.DatagramSent(100);

        Assert.Equal(2, Direction(datagrams, "receive"));
        Assert.Equal(1, Direction(datagrams, "transmit"));
        Assert.Equal(120, Direction(io, "receive"));
        Assert.Equal("udp", datagrams.LastMeasurement!.Tags["network.transport"]);
    }

    [Fact]
    public void AUnixServersTagsNameItsPathAndNoPort()
    {
        UnixServers.SkipUnlessLinux();
        using var directory = new TempDirectory();
        string path = directory.NewSocketPath();
        using var server = new UnixStreamServer(new UnixDomainSocketEndPoint(path), DiagnosticHandlers.LineEcho) { MeterFactory = _meters };
        using var errors = Collector<long>(server, "socketserver.handler.errors");
        server.Diagnostics.HandlerError(new IOException("x"));

        IReadOnlyDictionary<string, object?> tags = Assert.Single(errors.GetMeasurementSnapshot()).Tags;
        Assert.Equal("unix", tags["network.transport"]);
        Assert.Equal(path, tags["server.address"]);
        Assert.False(tags.ContainsKey("server.port"));
        Assert.False(tags.ContainsKey("network.type"));
    }

    [Fact]
    public void WithoutAMeterFactoryTheServerRecordsOnTheSharedSocketServerMeter()
    {
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), DiagnosticHandlers.LineEcho);
        Assert.Same(SocketServerMetrics.Shared, server.Diagnostics.Metrics);
        Assert.Equal("SocketServer", server.Diagnostics.Metrics.Meter.Name);
        Assert.NotSame(SocketServerMetrics.Shared, SocketServerMetrics.For(_meters));
        Assert.Same(SocketServerMetrics.For(_meters), SocketServerMetrics.For(_meters));
    }

    public void Dispose()
    {
        _meters.Dispose();
        _timeout.Dispose();
    }

    private static void AssertServerTags(BaseServer server, IReadOnlyDictionary<string, object?> tags)
    {
        var address = (IPEndPoint)server.ServerAddress;
        Assert.Equal("tcp", tags["network.transport"]);
        Assert.Equal("ipv4", tags["network.type"]);
        Assert.Equal("127.0.0.1", tags["server.address"]);
        Assert.Equal(address.Port, tags["server.port"]);
    }

    private static IReadOnlyList<CollectedMeasurement<T>> Wait<T>(MetricCollector<T> collector, int count)
        where T : struct
    {
        Assert.True(collector.WaitForMeasurementsAsync(count, TestTimeouts.Long).Wait(TestTimeouts.Long), $"{count} measurement(s) of {collector.Instrument?.Name}");
        return collector.GetMeasurementSnapshot();
    }

    private static long Observe(MetricCollector<long> collector)
    {
        collector.Clear();
        collector.RecordObservableInstruments();
        return collector.LastMeasurement?.Value ?? -1;
    }

    private static long Direction(MetricCollector<long> collector, string direction)
    {
        collector.Clear();
        collector.RecordObservableInstruments();
        return collector.GetMeasurementSnapshot().Single(m => Equals(m.Tags["network.io.direction"], direction)).Value;
    }

    private static MetricCollector<T> Collector<T>(BaseServer server, string instrument)
        where T : struct => new(server.Diagnostics.Metrics.Meter, instrument);

    private LimitedServer Limited(Action<ServerLimits> configure) =>
        new(DiagnosticHandlers.LineEcho, configure) { MeterFactory = _meters };
}
