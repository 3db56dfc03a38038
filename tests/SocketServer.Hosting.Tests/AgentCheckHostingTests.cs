using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SocketServer.Hosting.Tests.Infrastructure;

namespace SocketServer.Hosting.Tests;

/// <summary>
/// <c>SocketServer:AgentCheck</c> answers HAProxy's agent check for all the host's servers: <c>up ready</c> while they
/// serve, <c>drain</c> once the host's stop drains them (their <see cref="BaseServer.HealthState"/>), <c>maint</c> when
/// the application sets it; it closes with the host.
/// </summary>
public sealed class AgentCheckHostingTests
{
    [Fact]
    public async Task TheAgentAnswersUpReadyThenDrainWhileTheHostStops()
    {
        await using TestHost host = await TestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["SocketServer:AgentCheck"] = "127.0.0.1:0",
                ["SocketServer:Servers:echo:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:echo:Mode"] = "threading",
                ["SocketServer:Servers:other:Endpoints:0"] = "tcp://127.0.0.1:0",
            },
            static b =>
            {
                b.Services.AddSingleton<DrainGate>();
                b.Services.AddSocketServer<SyncGatedEcho>("echo");
                b.Services.AddSocketServer<AsyncLineEcho>("other");
            });
        var gate = host.Services.GetRequiredService<DrainGate>();
        AgentCheckServer agent = Assert.IsType<AgentCheckServer>(host.Servers.AgentCheck);
        EndPoint agentAddress = agent.ServerAddress;
        Assert.Equal([host.Servers[0].Server, host.Servers[1].Server], agent.Servers);
        Assert.Equal("up ready", Ask(agentAddress));
        Assert.Contains(host.Logs.GetSnapshot(), static r => r.Category == "SocketServer.Hosting" && r.Id.Id == 7);

        // Maintenance, set by the application, is reported and lifted.
        agent.HealthState = HealthState.Maint;
        Assert.Equal("maint", Ask(agentAddress));
        agent.HealthState = HealthState.Up;
        Assert.Equal("up ready", Ask(agentAddress));

        using Socket idle = Clients.Connect(host.Address("echo"));
        Assert.Equal("first", Clients.RoundTrip(idle, "first"));
        using Socket busy = Clients.Connect(host.Address("echo"));
        busy.Send("wait\n"u8);
        await gate.Entered.WaitAsync(TestTimeouts.Long, TestContext.Current.CancellationToken);

        Task stopping = host.StopAsync();
        // The idle connection closed: the drain began, and with it the Drain state.
        Assert.True(Clients.SeesEndOfStream(idle), "the idle connection was not closed");
        Assert.Equal(HealthState.Drain, host.Servers[0].Server.HealthState);
        Assert.Equal("drain", Ask(agentAddress));
        Assert.False(stopping.IsCompleted, "the host stopped before the busy request finished");

        gate.Release();
        Assert.Equal("done", Clients.ReadLine(busy));
        await stopping.WaitAsync(TestTimeouts.Long, TestContext.Current.CancellationToken);
        Assert.True(agent.IsClosed, "the agent check outlived the host's stop");
        Assert.True(TestHost.IsFree((IPEndPoint)agentAddress, SocketType.Stream), "the agent check's port is still bound");
    }

    [Fact]
    public async Task WithADrainDelayTheServersSayDrainAndStillServeBeforeTheDrainBegins()
    {
        await using TestHost host = await TestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["SocketServer:AgentCheck"] = "127.0.0.1:0",
                // Longer than the test: the delay ends when the test cancels the stop, not by the clock.
                ["SocketServer:DrainDelay"] = "00:10:00",
                ["SocketServer:Servers:echo:Endpoints:0"] = "tcp://127.0.0.1:0",
            },
            static b => b.Services.AddSocketServer<AsyncLineEcho>("echo"),
            shutdownTimeout: TimeSpan.FromHours(1));
        EndPoint agentAddress = Assert.IsType<AgentCheckServer>(host.Servers.AgentCheck).ServerAddress;
        BaseServer server = host.Servers[0].Server;
        using Socket before = Clients.Connect(host.Address("echo"));
        Assert.Equal("before", Clients.RoundTrip(before, "before"));

        using var cutShort = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        Task stopping = host.Host.StopAsync(cutShort.Token);
        // The delay began when its log line (event 9) was written; the state was set just before it.
        while (!host.Logs.GetSnapshot().Any(static r => r.Category == "SocketServer.Hosting" && r.Id.Id == 9))
        {
            await Task.Yield();
            TestContext.Current.CancellationToken.ThrowIfCancellationRequested();
        }

        Assert.Equal(HealthState.Drain, server.HealthState);
        Assert.Equal("drain", Ask(agentAddress));
        // Still serving: the open connection and a new one, which the drain would have refused.
        Assert.Equal("still", Clients.RoundTrip(before, "still"));
        using Socket during = Clients.Connect(host.Address("echo"));
        Assert.Equal("during", Clients.RoundTrip(during, "during"));
        Assert.False(stopping.IsCompleted, "the host stopped before the drain delay ended");

        cutShort.Cancel();
        try
        {
            await stopping.WaitAsync(TestTimeouts.Long, TestContext.Current.CancellationToken);
        }
        catch (OperationCanceledException) when (stopping.IsCanceled)
        {
            // The host may report its cancelled stop as cancelled; it stopped all the same.
        }

        Assert.True(stopping.IsCompleted, "the stop did not end once its token was cancelled");
        Assert.True(server.IsClosed, "the server was not closed by the stop");
        // DrainDelay is a key of the host, not a typo.
        Assert.DoesNotContain(host.Logs.GetSnapshot(), static r => r.Message.Contains("SocketServer:DrainDelay", StringComparison.Ordinal) && r.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
    }

    [Fact]
    public async Task WithoutTheKeyThereIsNoAgentAndNoWarning()
    {
        await using TestHost host = await TestHost.StartAsync(
            new Dictionary<string, string?> { ["SocketServer:Servers:echo:Endpoints:0"] = "tcp://127.0.0.1:0" },
            static b => b.Services.AddSocketServer<SyncLineEcho>("echo"));

        Assert.Null(host.Servers.AgentCheck);
        Assert.DoesNotContain(host.Logs.GetSnapshot(), static r => r.Category == "SocketServer.Hosting" && r.Id.Id is 5 or 7);
        await host.StopAsync();
    }

    [Fact]
    public async Task AnAgentCheckAddressInUseFailsTheStartAndClosesTheServers()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        await using TestHost host = TestHost.Build(
            new Dictionary<string, string?>
            {
                ["SocketServer:AgentCheck"] = $"tcp://{taken.LocalEndPoint}",
                ["SocketServer:Servers:echo:Endpoints:0"] = "tcp://127.0.0.1:0",
            },
            static b => b.Services.AddSocketServer<SyncLineEcho>("echo"));

        ServerBindException e = await Assert.ThrowsAsync<ServerBindException>(() => host.Host.StartAsync(TestContext.Current.CancellationToken));

        Assert.StartsWith($"Cannot bind tcp://{taken.LocalEndPoint}: the address is already in use", e.Message, StringComparison.Ordinal);
        Assert.Empty(host.Servers);
    }

    /// <summary>Connects to the agent and reads its one line, as HAProxy's agent check does.</summary>
    private static string Ask(EndPoint agent)
    {
        using Socket socket = Clients.Connect(agent);
        var reply = new StringBuilder();
        byte[] buffer = new byte[64];
        for (int read; (read = socket.Receive(buffer)) > 0;)
        {
            reply.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        Assert.EndsWith("\n", reply.ToString(), StringComparison.Ordinal);
        return reply.ToString().TrimEnd('\n');
    }
}
