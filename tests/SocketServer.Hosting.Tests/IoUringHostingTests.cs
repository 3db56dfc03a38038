using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using SocketServer.Hosting.Tests.Infrastructure;

namespace SocketServer.Hosting.Tests;

/// <summary>
/// <c>"AsyncTransport": "io_uring"</c> serves a hosted async server on io_uring. Where this machine cannot, the library
/// serves on epoll and logs why (event 700): the test then reports Skipped with that line, rather than passing on the
/// fallback.
/// </summary>
public sealed class IoUringHostingTests
{
    [Fact]
    public async Task AHostedAsyncServerOnIoUringServesEcho()
    {
        await using TestHost host = await TestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["SocketServer:Servers:echo:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:echo:Mode"] = "async",
                ["SocketServer:Servers:echo:AsyncTransport"] = "io_uring",
            },
            static b => b.Services.AddSocketServer<AsyncLineEcho>("echo"));

        using (Socket client = Clients.Connect(host.Address("echo")))
        {
            Assert.Equal("hello over io_uring", Clients.RoundTrip(client, "hello over io_uring"));
            Assert.Equal("and again", Clients.RoundTrip(client, "and again"));
        }

        await host.StopAsync();
        // The transport is chosen when serving starts, before the first connection was accepted: the warning, if any, is logged.
        FakeLogRecord? fallback = host.Logs.GetSnapshot().FirstOrDefault(static r => r.Category == "SocketServer" && r.Id.Id == 700);
        Assert.SkipWhen(fallback is not null, $"io_uring is unavailable here, the server served on epoll: {fallback?.Message}");
        Assert.Equal(AsyncTransport.IoUring, host.Servers[0].Server.AsyncTransport);
    }
}
