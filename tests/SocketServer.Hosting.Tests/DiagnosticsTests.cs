using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using SocketServer.Hosting.Tests.Infrastructure;

namespace SocketServer.Hosting.Tests;

/// <summary>
/// The servers log through the host's <c>ILoggerFactory</c> and measure on its <c>IMeterFactory</c>: what a host's
/// providers (console, OpenTelemetry...) see, and nothing on standard error.
/// </summary>
public sealed class DiagnosticsTests
{
    [Fact]
    public async Task TheServersUseTheHostsLoggerAndMeterFactories()
    {
        await using TestHost host = await TestHost.StartAsync(
            new Dictionary<string, string?> { ["SocketServer:Servers:echo:Endpoints:0"] = "tcp://127.0.0.1:0" },
            static b => b.Services.AddSocketServer<AsyncLineEcho>("echo"));
        BaseServer server = host.Servers[0].Server;

        Assert.Same(host.Services.GetRequiredService<ILoggerFactory>(), server.LoggerFactory);
        Assert.Same(host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), server.MeterFactory);
        await host.StopAsync();
    }

    [Fact]
    public async Task MetricsReachACollectorOnTheHostsMeterFactory()
    {
        await using TestHost host = await TestHost.StartAsync(
            new Dictionary<string, string?> { ["SocketServer:Servers:echo:Endpoints:0"] = "tcp://127.0.0.1:0" },
            static b => b.Services.AddSocketServer<AsyncLineEcho>("echo"));
        using MetricCollector<long> active = host.Collect("socketserver.active_connections");
        using MetricCollector<long> io = host.Collect("socketserver.io");

        using (Socket client = Clients.Connect(host.Address("echo")))
        {
            Assert.Equal("measured", Clients.RoundTrip(client, "measured"));
            await active.WaitForMeasurementsAsync(1, TestTimeouts.Long);
            Assert.Equal(1, active.GetMeasurementSnapshot()[0].Value);
            client.Shutdown(SocketShutdown.Send);
            Assert.True(Clients.SeesEndOfStream(client));
        }

        await active.WaitForMeasurementsAsync(2, TestTimeouts.Long);
        Assert.Equal(-1, active.GetMeasurementSnapshot()[1].Value);
        Assert.Equal("127.0.0.1", active.GetMeasurementSnapshot()[0].Tags["server.address"]);

        // Bytes are totals read when collected: "measured\n" both ways.
        io.RecordObservableInstruments();
        Assert.Equal(9, io.GetMeasurementSnapshot().Single(m => (string?)m.Tags["network.io.direction"] == "receive").Value);
        Assert.Equal(9, io.GetMeasurementSnapshot().Single(m => (string?)m.Tags["network.io.direction"] == "transmit").Value);
        await host.StopAsync();
    }

    [Fact]
    public async Task TheLibrarysEventsReachTheHostsLogger()
    {
        await using TestHost host = await TestHost.StartAsync(
            new Dictionary<string, string?> { ["SocketServer:Servers:echo:Endpoints:0"] = "tcp://127.0.0.1:0" },
            static b => b.Services.AddSocketServer<FailingHandler>("echo"));

        using (Socket client = Clients.Connect(host.Address("echo")))
        {
            client.Send("boom\n"u8);
            Assert.True(Clients.SeesEndOfStream(client));
        }

        await host.StopAsync();
        IReadOnlyList<FakeLogRecord> records = host.Logs.GetSnapshot();
        // HandleError's default: event 200 with the exception, category SocketServer.
        FakeLogRecord failed = Assert.Single(records, static r => r.Category == "SocketServer" && r.Id.Id == 200);
        Assert.Equal(LogLevel.Error, failed.Level);
        Assert.Equal("boom", failed.Exception?.Message);
        // The hosting layer's own lines, category SocketServer.Hosting: listening, then the drain.
        Assert.Equal([1, 2], records.Where(static r => r.Category == "SocketServer.Hosting").Select(static r => r.Id.Id));
    }

    private sealed class FailingHandler : StreamRequestHandler
    {
        protected override void Handle()
        {
            RFile.ReadLine();
            throw new InvalidOperationException("boom");
        }
    }
}
