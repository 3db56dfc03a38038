using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using SocketServer.Hosting.Tests.Infrastructure;

namespace SocketServer.Hosting.Tests;

/// <summary>
/// The servers start with the host: bound in its start, each endpoint served in the mode configured, and real clients
/// round-trip over loopback.
/// </summary>
public sealed class StartTests
{
    public static TheoryData<string> Modes => ["async", "threading", "sync"];

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AConfiguredServerEchoesOverTcpAndUdp(string mode)
    {
        await using TestHost host = await TestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["SocketServer:Servers:echo:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:echo:Endpoints:1"] = "udp://127.0.0.1:0",
                ["SocketServer:Servers:echo:Mode"] = mode,
            },
            b => b.Services.AddSocketServer<SyncLineEcho>("echo").UseHandler<SyncDatagramEcho>());

        using (Socket client = Clients.Connect(host.Address("echo", 0)))
        {
            Assert.Equal("hello", Clients.RoundTrip(client, "hello"));
            Assert.Equal("again", Clients.RoundTrip(client, "again"));
        }

        Assert.Equal("datagram", Clients.DatagramRoundTrip(host.Address("echo", 1), "datagram"));
        await host.StopAsync();
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AsyncHandlersServeInEveryMode(string mode)
    {
        await using TestHost host = await TestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["SocketServer:Servers:echo:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:echo:Endpoints:1"] = "udp://127.0.0.1:0",
                ["SocketServer:Servers:echo:Mode"] = mode,
            },
            b => b.Services.AddSocketServer<AsyncLineEcho>("echo").UseHandler<AsyncDatagramEcho>());

        using (Socket client = Clients.Connect(host.Address("echo", 0)))
        {
            Assert.Equal("hello", Clients.RoundTrip(client, "hello"));
        }

        Assert.Equal("datagram", Clients.DatagramRoundTrip(host.Address("echo", 1), "datagram"));
        await host.StopAsync();
    }

    [Fact]
    public async Task TheServersAreListedWithTheAddressesTheyBoundAndLoggedAsListening()
    {
        await using TestHost host = await TestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["SocketServer:Servers:echo:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:echo:Endpoints:1"] = "udp://localhost:0",
            },
            b => b.Services.AddSocketServer<SyncLineEcho>("echo").UseHandler<SyncDatagramEcho>());

        Assert.Equal(2, host.Servers.Count);
        HostedSocketServer tcp = host.Servers[0];
        HostedSocketServer udp = host.Servers[1];
        int tcpPort = ((IPEndPoint)tcp.Server.ServerAddress).Port;
        int udpPort = ((IPEndPoint)udp.Server.ServerAddress).Port;
        Assert.NotEqual(0, tcpPort);
        Assert.Equal($"tcp://127.0.0.1:{tcpPort}", tcp.Address);
        Assert.Equal($"udp://127.0.0.1:{udpPort}", udp.Address);
        Assert.Equal(SocketServerMode.Async, tcp.Mode);
        Assert.Equal("echo", tcp.Name);
        Assert.Equal([tcp, udp], host.Servers.Named("echo"));

        string[] listening = [.. host.Logs.GetSnapshot()
            .Where(static r => r.Category == "SocketServer.Hosting" && r.Id.Id == 1)
            .Select(static r => r.Message)];
        Assert.Equal([$"Server echo listening on tcp://127.0.0.1:{tcpPort} (async)", $"Server echo listening on udp://127.0.0.1:{udpPort} (async)"], listening);
        Assert.All(host.Logs.GetSnapshot().Where(static r => r.Id.Id == 1 && r.Category == "SocketServer.Hosting"), static r => Assert.Equal(LogLevel.Information, r.Level));
        await host.StopAsync();
    }

    [Fact]
    public async Task AServerCanBeConfiguredInCodeAloneAndSeveralServersShareOneHost()
    {
        using var directory = new TempDirectory();
        string path = directory.NewSocketPath();
        await using TestHost host = await TestHost.StartAsync(
            [],
            b =>
            {
                b.Services.AddSocketServer<AsyncLineEcho>("lines", o =>
                {
                    o.Endpoints.Add("tcp://127.0.0.1:0");
                    o.Endpoints.Add("unix:" + path);
                });
                b.Services.AddSocketServer<SyncDatagramEcho>("datagrams", o =>
                {
                    o.Endpoints.Add("udp://127.0.0.1:0");
                    o.Mode = SocketServerMode.Threading;
                });
            });

        Assert.Equal(["lines", "lines", "datagrams"], host.Servers.Select(static s => s.Name));
        Assert.Equal("unix:" + path, host.Servers[1].Address);
        using (Socket tcp = Clients.Connect(host.Address("lines", 0)))
        using (Socket unix = Clients.Connect(new UnixDomainSocketEndPoint(path)))
        {
            Assert.Equal("over tcp", Clients.RoundTrip(tcp, "over tcp"));
            Assert.Equal("over unix", Clients.RoundTrip(unix, "over unix"));
        }

        Assert.Equal("datagram", Clients.DatagramRoundTrip(host.Address("datagrams"), "datagram"));
        await host.StopAsync();
        // The Unix socket file goes with the server, as the socketserver command's does.
        Assert.False(File.Exists(path), "the socket file was left behind");
    }

    [Fact]
    public async Task CodeRunsAfterTheConfigurationAndConfigureServerSeesEachServerBeforeItBinds()
    {
        var configured = new List<string>();
        await using TestHost host = await TestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["SocketServer:Servers:echo:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:echo:Mode"] = "sync",
            },
            b => b.Services.AddSocketServer<SyncLineEcho>("echo", o =>
            {
                o.Mode = SocketServerMode.Threading;
                o.ConfigureServer = server =>
                {
                    configured.Add(server.GetType().BaseType!.Name);
                    ((TcpServer)server).RequestQueueSize = 7;
                };
            }));

        Assert.Equal([nameof(ThreadingTcpServer)], configured);
        Assert.Equal(SocketServerMode.Threading, host.Servers[0].Mode);
        Assert.Equal(7, ((TcpServer)host.Servers[0].Server).RequestQueueSize);
        await host.StopAsync();
    }
}
