using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using SocketServer.Hosting.Tests.Infrastructure;

namespace SocketServer.Hosting.Tests;

/// <summary>
/// The host's stop drains the servers: idle connections are closed at once, requests in progress finish, what is
/// left when the grace (the host's shutdown timeout) ends is aborted, and each drain's result is logged.
/// </summary>
public sealed class StopTests
{
    public static TheoryData<string, bool> Modes => new()
    {
        { "async", true }, { "async", false }, { "threading", false }, { "threading", true },
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AnIdleConnectionIsClosedABusyOneCompletesAndTheDrainIsLogged(string mode, bool asyncHandler)
    {
        await using TestHost host = await TestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["SocketServer:Servers:echo:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:echo:Mode"] = mode,
            },
            b =>
            {
                b.Services.AddSingleton<DrainGate>();
                if (asyncHandler)
                {
                    b.Services.AddSocketServer<AsyncGatedEcho>("echo");
                }
                else
                {
                    b.Services.AddSocketServer<SyncGatedEcho>("echo");
                }
            });
        var gate = host.Services.GetRequiredService<DrainGate>();
        string address = host.Servers[0].Address;

        // Idle: its handler answered a line and waits for the next. Busy: its handler holds the line "wait" at the gate.
        using Socket idle = Clients.Connect(host.Address("echo"));
        Assert.Equal("first", Clients.RoundTrip(idle, "first"));
        using Socket busy = Clients.Connect(host.Address("echo"));
        busy.Send("wait\n"u8);
        await gate.Entered.WaitAsync(TestTimeouts.Long, TestContext.Current.CancellationToken);

        Task stopping = host.StopAsync();
        // The idle connection is closed at once; the busy one is left to finish.
        Assert.True(Clients.SeesEndOfStream(idle), "the idle connection was not closed");
        Assert.False(stopping.IsCompleted, "the host stopped before the busy request finished");
        gate.Release();
        Assert.Equal("done", Clients.ReadLine(busy));
        Assert.True(Clients.SeesEndOfStream(busy), "the busy connection was not closed once its request finished");
        await stopping.WaitAsync(TestTimeouts.Long, TestContext.Current.CancellationToken);

        FakeLogRecord drained = Assert.Single(host.Logs.GetSnapshot(), static r => r.Category == "SocketServer.Hosting" && r.Id.Id == 2);
        Assert.Equal(LogLevel.Information, drained.Level);
        int completed = Count(drained, "Completed");
        int closedIdle = Count(drained, "ClosedIdle");
        Assert.StartsWith($"Server echo on {address} stopped: {completed} completed, {closedIdle} closed idle, 0 aborted in ", drained.Message, StringComparison.Ordinal);
        // The busy request completed. The idle connection counts as closed idle if its handler was back in its read when
        // the drain began, or else as completed, closed the moment it got back there (its answer reached the client
        // before the handler's next read: a race no client can see); either way it was closed without waiting.
        Assert.Equal(2, completed + closedIdle);
        Assert.InRange(completed, 1, 2);
        Assert.Equal(0, Count(drained, "Aborted"));
    }

    private static int Count(FakeLogRecord record, string key) =>
        int.Parse(Assert.Single(record.StructuredState!, p => p.Key == key).Value!, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task WhatIsLeftWhenTheShutdownTimeoutEndsIsAbortedAndTheListenerClosed()
    {
        await using TestHost host = await TestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["SocketServer:Servers:flood:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:flood:Mode"] = "threading",
                // No send-rate limit: only the drain may end the flood.
                ["SocketServer:Servers:flood:Limits:Unlimited"] = "true",
            },
            static b =>
            {
                b.Services.AddSingleton<DrainGate>();
                b.Services.AddSocketServer<SyncFlood>("flood");
            },
            shutdownTimeout: TimeSpan.FromSeconds(1));
        var gate = host.Services.GetRequiredService<DrainGate>();
        var endPoint = (System.Net.IPEndPoint)host.Address("flood");

        // The client never reads: the handler's writes cannot finish in any grace period.
        using Socket client = Clients.Connect(endPoint);
        await gate.Entered.WaitAsync(TestTimeouts.Long, TestContext.Current.CancellationToken);
        await host.StopAsync().WaitAsync(TestTimeouts.Long, TestContext.Current.CancellationToken);

        FakeLogRecord drained = Assert.Single(host.Logs.GetSnapshot(), static r => r.Category == "SocketServer.Hosting" && r.Id.Id == 2);
        Assert.Contains("stopped: 0 completed, 0 closed idle, 1 aborted in ", drained.Message, StringComparison.Ordinal);
        Assert.True(TestHost.IsFree(endPoint, SocketType.Stream), "the listening socket was not closed");
    }

    [Fact]
    public async Task AServerThatStopsServingByItselfStopsTheApplication()
    {
        await using TestHost host = await TestHost.StartAsync(
            new Dictionary<string, string?> { ["SocketServer:Servers:exit:Endpoints:0"] = "udp://127.0.0.1:0" },
            static b => b.Services.AddSocketServer<ExitingDatagramHandler>("exit"));
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();

        using (var client = new Socket(System.Net.Sockets.AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            client.SendTo("exit"u8, host.Address("exit"));
        }

        // Python's SystemExit from a handler stops the serve loop; in a host it stops the application.
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStopping.Register(() => stopping.TrySetResult()))
        {
            await stopping.Task.WaitAsync(TestTimeouts.Long, TestContext.Current.CancellationToken);
        }

        FakeLogRecord failed = Assert.Single(host.Logs.GetSnapshot(), static r => r.Category == "SocketServer.Hosting" && r.Id.Id == 3);
        Assert.Equal(LogLevel.Critical, failed.Level);
        Assert.IsType<ServerExitException>(failed.Exception);
        await host.StopAsync();
    }

    private sealed class ExitingDatagramHandler : AsyncDatagramRequestHandler
    {
        protected override ValueTask HandleAsync() => throw new ServerExitException("exit requested");
    }
}
