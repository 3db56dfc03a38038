using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SocketServer.Hosting.Tests.Infrastructure;

namespace SocketServer.Hosting.Tests;

/// <summary>
/// <c>ProxyProtocol</c>, <c>AsyncTransport</c>, <c>MaxIdleThreads</c>, <c>AllowReusePort</c> and the host's
/// <c>SocketServer:AgentCheck</c>: bound from configuration, applied to every endpoint's server, and checked on start
/// with one message per problem naming its key.
/// </summary>
public sealed class ServingOptionsTests
{
    [Fact]
    public async Task TheSettingsAreBoundAndReachEveryEndpointsServer()
    {
        await using TestHost host = await TestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["SocketServer:Servers:proxied:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:proxied:Endpoints:1"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:proxied:Mode"] = "async",
                ["SocketServer:Servers:proxied:AsyncTransport"] = "Portable",
                ["SocketServer:Servers:proxied:AllowReusePort"] = "true",
                ["SocketServer:Servers:proxied:ProxyProtocol:Enabled"] = "true",
                ["SocketServer:Servers:proxied:ProxyProtocol:TrustedNetworks:0"] = "10.0.0.0/8",
                ["SocketServer:Servers:proxied:ProxyProtocol:TrustedNetworks:1"] = "::1/128",
                ["SocketServer:Servers:proxied:ProxyProtocol:TrustedNetworks:2"] = "192.0.2.7",
                ["SocketServer:Servers:proxied:ProxyProtocol:TrustUnixPeers"] = "true",
                ["SocketServer:Servers:proxied:ProxyProtocol:HeaderTimeout"] = "00:00:03",
                ["SocketServer:Servers:proxied:ProxyProtocol:Versions"] = "v2",
                ["SocketServer:Servers:threads:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:threads:Endpoints:1"] = "udp://127.0.0.1:0",
                ["SocketServer:Servers:threads:Mode"] = "threading",
                ["SocketServer:Servers:threads:MaxIdleThreads"] = "0",
                ["SocketServer:Servers:io:Endpoints"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:io:AsyncTransport"] = "io_uring",
            },
            static b =>
            {
                b.Services.AddSocketServer<AsyncLineEcho>("proxied");
                b.Services.AddSocketServer<SyncLineEcho>("threads").UseHandler<SyncDatagramEcho>();
                b.Services.AddSocketServer<AsyncLineEcho>("io");
            });
        var monitor = host.Services.GetRequiredService<IOptionsMonitor<SocketServerOptions>>();

        SocketServerOptions proxied = monitor.Get("proxied");
        ProxyProtocolOptions proxy = Assert.IsType<ProxyProtocolOptions>(proxied.ProxyProtocol);
        Assert.Equal([IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("192.0.2.7/32")], proxy.TrustedNetworks);
        Assert.True(proxy.TrustUnixPeers);
        Assert.Equal(TimeSpan.FromSeconds(3), proxy.HeaderTimeout);
        Assert.Equal(ProxyProtocolVersions.V2, proxy.Versions);
        Assert.Equal(AsyncTransport.Portable, proxied.AsyncTransport);
        Assert.True(proxied.AllowReusePort);
        Assert.Null(proxied.MaxIdleThreads);
        Assert.Equal(0, monitor.Get("threads").MaxIdleThreads);
        Assert.Null(monitor.Get("threads").ProxyProtocol);
        Assert.Equal(AsyncTransport.IoUring, monitor.Get("io").AsyncTransport);

        foreach (HostedSocketServer endpoint in host.Servers.Named("proxied"))
        {
            var server = Assert.IsAssignableFrom<TcpServer>(endpoint.Server);
            Assert.Same(proxy, server.ProxyProtocol);
            Assert.Equal(AsyncTransport.Portable, server.AsyncTransport);
            Assert.True(server.AllowReusePort);
        }

        IReadOnlyList<HostedSocketServer> threads = host.Servers.Named("threads");
        Assert.Equal(0, Assert.IsAssignableFrom<ThreadingTcpServer>(threads[0].Server).MaxIdleThreads);
        Assert.Equal(0, Assert.IsAssignableFrom<ThreadingUdpServer>(threads[1].Server).MaxIdleThreads);
        Assert.False(((TcpServer)threads[0].Server).AllowReusePort);
        Assert.Null(((TcpServer)threads[0].Server).ProxyProtocol);
        Assert.Equal(AsyncTransport.IoUring, host.Servers.Named("io")[0].Server.AsyncTransport);
        Assert.Null(host.Servers.AgentCheck);

        // Each still serves (a PROXY listener only its trusted proxies: not tried here).
        using (var client = Clients.Connect(host.Address("threads")))
        {
            Assert.Equal("parked or not", Clients.RoundTrip(client, "parked or not"));
        }

        using (var client = Clients.Connect(host.Address("io")))
        {
            Assert.Equal("either engine", Clients.RoundTrip(client, "either engine"));
        }

        await host.StopAsync();
    }

    [Fact]
    public async Task EveryProblemOfTheNewSettingsIsReportedOnceNamingItsKey()
    {
        await using TestHost host = TestHost.Build(
            new Dictionary<string, string?>
            {
                ["SocketServer:Servers:bad:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:bad:ProxyProtocol:Enabled"] = "yes",
                ["SocketServer:Servers:bad:ProxyProtocol:TrustedNetworks:0"] = "10.0.0.1/8",
                ["SocketServer:Servers:bad:ProxyProtocol:TrustedNetworks:1"] = "haproxy",
                ["SocketServer:Servers:bad:ProxyProtocol:HeaderTimeout"] = "00:00:00",
                ["SocketServer:Servers:bad:ProxyProtocol:Versions"] = "v3",
                ["SocketServer:Servers:bad:ProxyProtocol:Trusted"] = "10.0.0.0/8",
                ["SocketServer:Servers:bad:AsyncTransport"] = "uring",
                ["SocketServer:Servers:bad:MaxIdleThreads"] = "many",
                ["SocketServer:Servers:bad:AllowReusePort"] = "sometimes",
                ["SocketServer:Servers:udp:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:udp:Endpoints:1"] = "udp://127.0.0.1:0",
                ["SocketServer:Servers:udp:Mode"] = "threading",
                ["SocketServer:Servers:udp:ProxyProtocol:Enabled"] = "true",
                ["SocketServer:Servers:udp:ProxyProtocol:TrustedNetworks"] = "127.0.0.0/8",
                ["SocketServer:Servers:udp:MaxIdleThreads"] = "-1",
                ["SocketServer:Servers:udp:AsyncTransport"] = "io_uring",
                ["SocketServer:Servers:misplaced:Endpoints:0"] = "unix:@socketserver-hosting-misplaced",
                ["SocketServer:Servers:misplaced:Mode"] = "sync",
                ["SocketServer:Servers:misplaced:MaxIdleThreads"] = "4",
                ["SocketServer:Servers:misplaced:AllowReusePort"] = "true",
                ["SocketServer:Servers:misplaced:ProxyProtocol:TrustUnixPeers"] = "true",
                ["SocketServer:Servers:untrusted:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:untrusted:Endpoints:1"] = "unix:@socketserver-hosting-untrusted",
                ["SocketServer:Servers:untrusted:ProxyProtocol:Enabled"] = "true",
            },
            static b =>
            {
                b.Services.AddSocketServer<SyncLineEcho>("bad");
                b.Services.AddSocketServer<SyncLineEcho>("udp").UseHandler<SyncDatagramEcho>();
                b.Services.AddSocketServer<SyncLineEcho>("misplaced");
                b.Services.AddSocketServer<SyncLineEcho>("untrusted");
            });

        AggregateException e = await Assert.ThrowsAsync<AggregateException>(() => host.Host.StartAsync(TestContext.Current.CancellationToken));

        string[] failures = [.. e.InnerExceptions.Cast<OptionsValidationException>().SelectMany(static x => x.Failures)];
        Assert.Equal(
            [
                "SocketServer:Servers:bad:ProxyProtocol:Trusted is not a setting here; the settings are Enabled, TrustedNetworks, TrustUnixPeers, HeaderTimeout, Versions.",
                "SocketServer:Servers:bad:ProxyProtocol:TrustedNetworks:0: '10.0.0.1/8' has bits set after the prefix, so it would trust all of 10.0.0.0/8; write 10.0.0.0/8, or 10.0.0.1/32 for the one address.",
                "SocketServer:Servers:bad:ProxyProtocol:TrustedNetworks:1: 'haproxy' is not a network; write it in CIDR form, as \"10.0.0.0/8\" or \"::1/128\", or as one address.",
                "SocketServer:Servers:bad:ProxyProtocol:HeaderTimeout: 00:00:00 is not allowed: the header timeout must be longer than 0 and at most a day.",
                "SocketServer:Servers:bad:ProxyProtocol:Versions: 'v3' is not a version; use V1, V2 or Any.",
                "SocketServer:Servers:bad:ProxyProtocol:Enabled: 'yes' is not true or false.",
                "SocketServer:Servers:bad:AsyncTransport: 'uring' is not a transport; use epoll, io_uring or portable.",
                "SocketServer:Servers:bad:MaxIdleThreads: 'many' is not a whole number (0 starts a new thread for every request).",
                "SocketServer:Servers:bad:AllowReusePort: 'sometimes' is not true or false.",
                "SocketServer:Servers:udp:Endpoints:1: udp://127.0.0.1:0 is a datagram endpoint, but ProxyProtocol is enabled: the PROXY protocol is for stream endpoints (tcp://, unix:); serve the datagram endpoint from a server of its own.",
                "SocketServer:Servers:udp:AsyncTransport: io_uring is an engine of Mode async, which the threading mode does not use; set Mode to async, or remove AsyncTransport.",
                "SocketServer:Servers:udp:MaxIdleThreads: -1 is not allowed: the count must be 0 or more (0 starts a new thread for every request, as Python does).",
                "SocketServer:Servers:misplaced:ProxyProtocol:Enabled: the PROXY protocol is set up but not switched on; add \"Enabled\": true (every connection must then come from a trusted proxy), or \"Enabled\": false.",
                "SocketServer:Servers:misplaced:MaxIdleThreads: request threads are kept by Mode threading only, and the sync mode has none; set Mode to threading, or remove MaxIdleThreads.",
                "SocketServer:Servers:misplaced:AllowReusePort: the server has no TCP or UDP endpoint, and SO_REUSEPORT is for those only; remove it.",
                "SocketServer:Servers:untrusted:ProxyProtocol:TrustedNetworks: no network is trusted, so every TCP connection would be refused; add the proxies' networks, as \"10.0.0.0/8\".",
                "SocketServer:Servers:untrusted:ProxyProtocol:TrustUnixPeers: the Unix peers are not trusted, so every connection to the Unix endpoints would be refused; set it to true (the socket file's permissions then decide who may connect).",
            ],
            failures);
        Assert.Empty(host.Servers);
    }

    [Theory]
    [InlineData("127.0.0.1:99999", "'127.0.0.1:99999' is not an agent-check address: '99999' is not a port number from 0 to 65535.")]
    [InlineData("", "'' is not an agent-check address: expected HOST:PORT after the scheme.")]
    [InlineData("udp://127.0.0.1:10009", "'udp://127.0.0.1:10009' is not an agent-check address: HAProxy's agent check connects over TCP; write tcp://HOST:PORT.")]
    [InlineData("unix:/run/agent.sock", "'unix:/run/agent.sock' is not an agent-check address: HAProxy's agent check connects over TCP; write tcp://HOST:PORT.")]
    public async Task AnAgentCheckAddressThatIsNotOneIsAProblem(string address, string message)
    {
        await using TestHost host = TestHost.Build(
            new Dictionary<string, string?>
            {
                ["SocketServer:AgentCheck"] = address,
                ["SocketServer:Servers:echo:Endpoints:0"] = "tcp://127.0.0.1:0",
            },
            static b => b.Services.AddSocketServer<SyncLineEcho>("echo"));

        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.Host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Equal([$"SocketServer:AgentCheck: {message}"], e.Failures);
    }

    [Theory]
    [InlineData("2", "SocketServer:DrainDelay: '2' is not a time span; write it as hh:mm:ss, as \"00:00:02\".")]
    [InlineData("soon", "SocketServer:DrainDelay: 'soon' is not a time span; write it as hh:mm:ss, as \"00:00:02\".")]
    [InlineData("02:00:00", "SocketServer:DrainDelay: 02:00:00 is out of range; give 00:00:00 to 01:00:00 (a few times the load balancer's check interval).")]
    [InlineData("-00:00:01", "SocketServer:DrainDelay: -00:00:01 is out of range; give 00:00:00 to 01:00:00 (a few times the load balancer's check interval).")]
    public async Task ADrainDelayThatIsNotOneIsAProblem(string delay, string message)
    {
        await using TestHost host = TestHost.Build(
            new Dictionary<string, string?>
            {
                ["SocketServer:DrainDelay"] = delay,
                ["SocketServer:Servers:echo:Endpoints:0"] = "tcp://127.0.0.1:0",
            },
            static b => b.Services.AddSocketServer<SyncLineEcho>("echo"));

        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.Host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Equal([message], e.Failures);
    }

    [Fact]
    public async Task SettingsGivenInCodeAreCheckedToo()
    {
        await using TestHost host = TestHost.Build(
            [],
            static b => b.Services.AddSocketServer<SyncLineEcho>("code", static o =>
            {
                o.Endpoints.Add("udp://127.0.0.1:0");
                o.Mode = SocketServerMode.Threading;
                o.MaxIdleThreads = -3;
                o.AsyncTransport = (AsyncTransport)42;
                o.ProxyProtocol = new ProxyProtocolOptions { TrustedNetworks = { IPNetwork.Parse("127.0.0.0/8") } };
            }).UseHandler<SyncDatagramEcho>());

        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.Host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Equal(
            [
                "SocketServer:Servers:code:Endpoints:0: udp://127.0.0.1:0 is a datagram endpoint, but ProxyProtocol is enabled: the PROXY protocol is for stream endpoints (tcp://, unix:); serve the datagram endpoint from a server of its own.",
                "SocketServer:Servers:code:AsyncTransport: 42 is not a transport; use epoll, io_uring or portable.",
                "SocketServer:Servers:code:MaxIdleThreads: -3 is not allowed: the count must be 0 or more (0 starts a new thread for every request, as Python does).",
            ],
            e.Failures);
    }
}
