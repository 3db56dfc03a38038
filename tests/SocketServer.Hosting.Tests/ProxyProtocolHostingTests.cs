using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using SocketServer.Hosting.Tests.Infrastructure;

namespace SocketServer.Hosting.Tests;

/// <summary>
/// A hosted server configured with <c>ProxyProtocol</c> reads HAProxy's header: the handler sees the original client,
/// and a connection without a header is closed before any handler runs.
/// </summary>
public sealed class ProxyProtocolHostingTests
{
    [Theory]
    [InlineData("async")]
    [InlineData("threading")]
    [InlineData("sync")]
    public async Task AProxyV1HeaderShowsTheOriginalClientToTheHandler(string mode)
    {
        await using TestHost host = await TestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["SocketServer:Servers:proxied:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:proxied:Mode"] = mode,
                ["SocketServer:Servers:proxied:ProxyProtocol:Enabled"] = "true",
                ["SocketServer:Servers:proxied:ProxyProtocol:TrustedNetworks:0"] = "127.0.0.0/8",
            },
            static b => b.Services.AddSocketServer<ClientAddressReporter>("proxied"));

        using (Socket proxied = Clients.Connect(host.Address("proxied")))
        {
            proxied.Send("PROXY TCP4 192.0.2.1 127.0.0.1 56324 443\r\n"u8);
            Assert.Equal("192.0.2.1:56324", Clients.ReadLine(proxied));
        }

        // Without the header the connection is closed unserved: the line below is not a header.
        using (Socket direct = Clients.Connect(host.Address("proxied")))
        {
            direct.Send("hello\r\n"u8);
            Assert.True(Clients.SeesEndOfStream(direct), "a connection without a PROXY header was served");
        }

        await host.StopAsync();
    }
}
