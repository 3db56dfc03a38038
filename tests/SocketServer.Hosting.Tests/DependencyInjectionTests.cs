using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SocketServer.Hosting.Internal.Servers;
using SocketServer.Hosting.Tests.Infrastructure;

namespace SocketServer.Hosting.Tests;

/// <summary>
/// Handlers are created by dependency injection, each in a scope of its own that lives as long as its request: a
/// scoped service is one per connection (or datagram) and is disposed when that request ends; a singleton is shared.
/// </summary>
public sealed class DependencyInjectionTests
{
    public static TheoryData<string, bool> ConcurrentModes => new()
    {
        { "async", false }, { "async", true }, { "threading", false }, { "threading", true },
    };

    public static TheoryData<string> Modes => ["async", "threading", "sync"];

    [Theory]
    [MemberData(nameof(ConcurrentModes))]
    public async Task EachConnectionHasItsOwnScopeDisposedWhenItEndsAndSharesTheSingleton(string mode, bool asyncHandler)
    {
        await using TestHost host = await StartAsync(mode, b => Add(b, asyncHandler));
        var probe = host.Services.GetRequiredService<ScopeProbe>();

        using Socket first = Clients.Connect(host.Address("ids"));
        using Socket second = Clients.Connect(host.Address("ids"));
        string[] firstIds = Clients.RoundTrip(first, "ids").Split(' ');
        string[] secondIds = Clients.RoundTrip(second, "ids").Split(' ');

        // One scoped service per connection, the same for the connection's whole life; one singleton for all.
        Assert.Equal(firstIds, Clients.RoundTrip(first, "again").Split(' '));
        Assert.NotEqual(firstIds[0], secondIds[0]);
        Assert.Equal(probe.Id.ToString(), firstIds[1]);
        Assert.Equal(probe.Id.ToString(), secondIds[1]);

        // The first connection ends: its scope goes, the second's stays.
        first.Shutdown(SocketShutdown.Send);
        Assert.True(Clients.SeesEndOfStream(first));
        await probe.WaitForDisposalAsync(Guid.Parse(firstIds[0]));
        Assert.False(probe.IsDisposed(Guid.Parse(secondIds[0])));
        Assert.Equal(secondIds, Clients.RoundTrip(second, "still").Split(' '));

        second.Shutdown(SocketShutdown.Send);
        Assert.True(Clients.SeesEndOfStream(second));
        await probe.WaitForDisposalAsync(Guid.Parse(secondIds[0]));
        await host.StopAsync();
    }

    [Fact]
    public async Task OneRequestAtATimeStillGetsAScopeEach()
    {
        await using TestHost host = await StartAsync("sync", b => Add(b, asyncHandler: false));
        var probe = host.Services.GetRequiredService<ScopeProbe>();

        string firstId;
        using (Socket first = Clients.Connect(host.Address("ids")))
        {
            firstId = Clients.RoundTrip(first, "ids").Split(' ')[0];
        }

        await probe.WaitForDisposalAsync(Guid.Parse(firstId));
        using Socket second = Clients.Connect(host.Address("ids"));
        Assert.NotEqual(firstId, Clients.RoundTrip(second, "ids").Split(' ')[0]);
        second.Shutdown(SocketShutdown.Send);
        Assert.True(Clients.SeesEndOfStream(second));
        await host.StopAsync();
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AnAsyncDatagramHandlersScopeLastsUntilItsTaskCompletes(string mode)
    {
        await using TestHost host = await StartAsync(mode, b =>
        {
            b.Services.AddSingleton<ScopeProbe>().AddScoped<RequestScoped>();
            b.Services.AddSocketServer<AsyncDatagramScopeReporter>("ids");
        }, endpoint: "udp://127.0.0.1:0");
        var probe = host.Services.GetRequiredService<ScopeProbe>();

        // The handler answers after a yield, with "disposed" if its scope was gone by then.
        string first = Clients.DatagramRoundTrip(host.Address("ids"), "id");
        string second = Clients.DatagramRoundTrip(host.Address("ids"), "id");
        Assert.NotEqual(first, second);
        await probe.WaitForDisposalAsync(Guid.Parse(first));
        await probe.WaitForDisposalAsync(Guid.Parse(second));
        await host.StopAsync();
    }

    [Fact]
    public async Task ARegisteredHandlerIsResolvedAndAFactoryIsCalledWithTheRequestsProvider()
    {
        await using TestHost host = await StartAsync("async", b =>
        {
            b.Services.AddSingleton<ScopeProbe>().AddScoped<RequestScoped>();
            b.Services.AddTransient<AsyncScopeReporter>();
            b.Services.AddSocketServer<AsyncScopeReporter>("ids")
                .UseHandler(static sp => new SyncDatagramScopeReporter(sp.GetRequiredService<RequestScoped>()));
            b.Services.Configure<SocketServerOptions>("ids", static o => o.Endpoints.Add("udp://127.0.0.1:0"));
        });
        var probe = host.Services.GetRequiredService<ScopeProbe>();

        string datagramId = Clients.DatagramRoundTrip(host.Address("ids", 1), "id");
        await probe.WaitForDisposalAsync(Guid.Parse(datagramId));
        using Socket client = Clients.Connect(host.Address("ids"));
        string streamId = Clients.RoundTrip(client, "ids").Split(' ')[0];
        Assert.NotEqual(datagramId, streamId);
        client.Shutdown(SocketShutdown.Send);
        Assert.True(Clients.SeesEndOfStream(client));
        await probe.WaitForDisposalAsync(Guid.Parse(streamId));
        await host.StopAsync();
    }

    [Fact]
    public async Task AHandlerThatCannotBeBuiltIsARequestErrorAndItsScopeIsReleased()
    {
        // RequestScoped is not registered: building the handler fails for each request.
        await using TestHost host = await StartAsync("async", static b =>
        {
            b.Services.AddSingleton<ScopeProbe>();
            b.Services.AddSocketServer<AsyncScopeReporter>("ids");
        });

        using (Socket client = Clients.Connect(host.Address("ids")))
        {
            Assert.True(Clients.SeesEndOfStream(client));
        }

        var server = (IScopedServer)host.Servers[0].Server;
        Assert.Equal(0, server.Scopes.Open);
        await host.StopAsync();
        Microsoft.Extensions.Logging.Testing.FakeLogRecord error = Assert.Single(host.Logs.GetSnapshot(), static r => r.Category == "SocketServer" && r.Id.Id == 200);
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.IsType<InvalidOperationException>(error.Exception);
        Assert.Contains(nameof(RequestScoped), error.Exception.Message, StringComparison.Ordinal);
    }

    private static void Add(HostApplicationBuilder builder, bool asyncHandler)
    {
        builder.Services.AddSingleton<ScopeProbe>().AddScoped<RequestScoped>();
        if (asyncHandler)
        {
            builder.Services.AddSocketServer<AsyncScopeReporter>("ids");
        }
        else
        {
            builder.Services.AddSocketServer<SyncScopeReporter>("ids");
        }
    }

    private static Task<TestHost> StartAsync(string mode, Action<HostApplicationBuilder> configure, string endpoint = "tcp://127.0.0.1:0") =>
        TestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["SocketServer:Servers:ids:Endpoints:0"] = endpoint,
                ["SocketServer:Servers:ids:Mode"] = mode,
            },
            configure);
}
