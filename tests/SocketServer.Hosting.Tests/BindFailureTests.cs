using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using SocketServer.Hosting.Tests.Infrastructure;

namespace SocketServer.Hosting.Tests;

/// <summary>Binding happens in the host's start, so an address that cannot be bound fails the start, with the library's message.</summary>
public sealed class BindFailureTests
{
    [Fact]
    public async Task APortInUseFailsTheStartWithTheServersMessageAndClosesWhatWasBound()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        // The first endpoint binds, the second cannot: the first must be closed again.
        using var free = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        free.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var first = (IPEndPoint)free.LocalEndPoint!;
        free.Close();

        await using TestHost host = TestHost.Build(
            new Dictionary<string, string?>
            {
                ["SocketServer:Servers:echo:Endpoints:0"] = $"udp://127.0.0.1:{first.Port}",
                ["SocketServer:Servers:echo:Endpoints:1"] = $"tcp://127.0.0.1:{port}",
            },
            b => b.Services.AddSocketServer<SyncLineEcho>("echo").UseHandler<SyncDatagramEcho>());

        ServerBindException e = await Assert.ThrowsAsync<ServerBindException>(() => host.Host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Equal($"Cannot bind tcp://127.0.0.1:{port}: the address is already in use (another server listens on it).", e.Message);
        Assert.True(TestHost.IsFree(first, SocketType.Dgram), "the endpoint bound before the failure was left open");
    }
}
