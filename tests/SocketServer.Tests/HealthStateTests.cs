using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>
/// <see cref="BaseServer.HealthState"/> and <see cref="AgentCheckServer"/>: HAProxy's agent protocol answered from the
/// state, which a drain sets and an application sets by hand, and the <c>socketserver.health.status</c> gauge.
/// </summary>
public sealed class HealthStateTests
{
    private static readonly IPEndPoint s_loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public void TheAgentAnswersUpReadyThenDrainWhileADrainWaitsForARequestThenMaint()
    {
        using var release = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        using var server = new ThreadingTcpServer(s_loopback, () => new HoldingHandler(entered, release));
        using var agent = new AgentCheckServer(s_loopback, [server]);
        using var serving = new ServerRunner(server);
        using var answering = new ServerRunner(agent);
        Assert.Equal("up ready\n", Ask(agent));

        // A request in progress holds the drain open: the agent is asked while it waits.
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        client.Send("hold\n"u8);
        Assert.True(entered.Wait(TestTimeouts.Long));
        Task<DrainResult> drain = server.ShutdownAsync(TestTimeouts.Long);
        Assert.Equal(HealthState.Drain, server.HealthState);
        Assert.Equal("drain\n", Ask(agent));

        release.Set();
        DrainResult result = drain.WaitAsync(TestTimeouts.Long).GetAwaiter().GetResult();
        Assert.Equal(1, result.Completed);
        Assert.Equal("drain\n", Ask(agent));

        // Maintenance is more restrictive than a drain, and may be set on the agent itself for the whole process.
        agent.HealthState = HealthState.Maint;
        Assert.Equal("maint\n", Ask(agent));
        answering.Stop();
    }

    [Fact]
    public void MaintSetOnAServerIsAnsweredAndADrainDoesNotUndoIt()
    {
        using var server = new TcpServer<Protocols.EchoStreamHandler>(s_loopback);
        using var agent = new AgentCheckServer(s_loopback, [server]);
        using var answering = new ServerRunner(agent);

        server.HealthState = HealthState.Maint;
        Assert.Equal("maint\n", Ask(agent));
        Assert.True(server.ShutdownAsync(TimeSpan.Zero).Wait(TestTimeouts.Long));
        Assert.Equal(HealthState.Maint, server.HealthState);

        server.HealthState = HealthState.Up;
        Assert.Equal("up ready\n", Ask(agent));
        answering.Stop();
    }

    [Fact]
    public void AnUndefinedStateIsRefused()
    {
        using var server = new TcpServer<Protocols.EchoStreamHandler>(s_loopback, bindAndActivate: false);
        Assert.Throws<ArgumentOutOfRangeException>(() => server.HealthState = (HealthState)7);
        Assert.Equal(HealthState.Up, server.HealthState);
    }

    [Fact]
    public void TheGaugeReportsOneForTheCurrentStateAndZeroForTheOthers()
    {
        using var meters = new TestMeterFactory();
        using var server = new TcpServer<Protocols.EchoStreamHandler>(s_loopback) { MeterFactory = meters };
        using var gauge = new MetricCollector<int>(server.Diagnostics.Metrics.Meter, "socketserver.health.status");

        Assert.Equal(("up", 1, 0, 0), Observe(gauge, server));
        server.HealthState = HealthState.Maint;
        Assert.Equal(("maint", 0, 0, 1), Observe(gauge, server));
        server.HealthState = HealthState.Drain;
        Assert.Equal(("drain", 0, 1, 0), Observe(gauge, server));
    }

    private static (string Current, int Up, int Drain, int Maint) Observe(MetricCollector<int> gauge, BaseServer server)
    {
        gauge.Clear();
        gauge.RecordObservableInstruments();
        var values = gauge.GetMeasurementSnapshot()
            .Where(m => Equals(m.Tags["server.port"], ((IPEndPoint)server.ServerAddress).Port))
            .ToDictionary(m => (string)m.Tags["socketserver.health.state"]!, m => m.Value);
        return (values.Single(v => v.Value == 1).Key, values["up"], values["drain"], values["maint"]);
    }

    private static string Ask(AgentCheckServer agent)
    {
        using Socket socket = Clients.ConnectStream(agent.ServerAddress);
        return Encoding.ASCII.GetString(Clients.ReceiveToEnd(socket));
    }

    /// <summary>Reads one line, says so, and waits to be released before answering it.</summary>
    private sealed class HoldingHandler(ManualResetEventSlim entered, ManualResetEventSlim release) : StreamRequestHandler
    {
        protected override void Handle()
        {
            byte[]? line = RFile.ReadLine();
            entered.Set();
            release.Wait(TestTimeouts.Long);
            WFile.Write(line ?? []);
        }
    }
}
