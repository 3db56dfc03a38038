using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SocketServer.Hosting.Tests.Infrastructure;

namespace SocketServer.Hosting.Tests;

/// <summary>
/// The options come from the section <c>SocketServer:Servers:NAME</c> and are validated when the host starts, with one
/// message per problem, each naming its key.
/// </summary>
public sealed class ConfigurationTests
{
    private const string Echo = "SocketServer:Servers:echo";

    [Fact]
    public async Task EverySettingIsBoundFromTheSection()
    {
        using var directory = new TempDirectory();
        string certificate = Path.Combine(directory.Path, "server.pem");
        string key = Path.Combine(directory.Path, "server.key");
        string ca = Path.Combine(directory.Path, "ca.pem");
        // Read when the host starts; the options only check that they exist.
        foreach (string file in (string[])[certificate, key, ca])
        {
            await File.WriteAllTextAsync(file, "", TestContext.Current.CancellationToken);
        }

        await using TestHost host = TestHost.Build(
            new Dictionary<string, string?>
            {
                [$"{Echo}:Endpoints:0"] = "tcp://127.0.0.1:10001",
                [$"{Echo}:Endpoints:1"] = "udp://[::1]:10001",
                [$"{Echo}:Endpoints:2"] = "unix:/run/echo.sock",
                [$"{Echo}:Mode"] = "Threading",
                [$"{Echo}:Limits:MaxConnections"] = "1000",
                [$"{Echo}:Limits:MaxConnectionsPerClient"] = "10",
                [$"{Echo}:Limits:IdleTimeout"] = "00:02:10",
                [$"{Echo}:Limits:FirstUnitTimeout"] = "none",
                [$"{Echo}:Limits:MaxLineLength"] = "4096",
                [$"{Echo}:Limits:MinReceiveRate:BytesPerSecond"] = "100",
                [$"{Echo}:Limits:MinReceiveRate:GracePeriod"] = "00:00:10",
                [$"{Echo}:Limits:MinSendRate"] = "none",
                [$"{Echo}:Tls:CertificateFile"] = certificate,
                [$"{Echo}:Tls:KeyFile"] = key,
                [$"{Echo}:Tls:ClientCaFile"] = ca,
                [$"{Echo}:Tls:HandshakeTimeout"] = "00:00:03",
                [$"{Echo}:Unix:RecoverStaleSocketFile"] = "false",
                [$"{Echo}:Unix:SocketFileMode"] = "0660",
                [$"{Echo}:Unix:SocketFileGroup"] = "www-data",
            },
            b => b.Services.AddSocketServer<SyncLineEcho>("echo").UseHandler<SyncDatagramEcho>());

        SocketServerOptions options = host.Services.GetRequiredService<IOptionsMonitor<SocketServerOptions>>().Get("echo");

        Assert.Equal(["tcp://127.0.0.1:10001", "udp://[::1]:10001", "unix:/run/echo.sock"], options.Endpoints);
        Assert.Equal(SocketServerMode.Threading, options.Mode);
        Assert.Equal(1000, options.Limits.MaxConnections);
        Assert.Equal(10, options.Limits.MaxConnectionsPerClient);
        Assert.Equal(TimeSpan.FromSeconds(130), options.Limits.IdleTimeout);
        Assert.Null(options.Limits.FirstUnitTimeout);
        Assert.Equal(4096, options.Limits.MaxLineLength);
        Assert.Equal(100, options.Limits.MinReceiveRate?.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Limits.MinReceiveRate?.GracePeriod);
        Assert.Null(options.Limits.MinSendRate);
        Assert.Equal(certificate, options.Tls.CertificateFile);
        Assert.Equal(key, options.Tls.KeyFile);
        Assert.Equal(ca, options.Tls.ClientCaFile);
        Assert.Null(options.Tls.Password);
        Assert.Equal(TimeSpan.FromSeconds(3), options.Tls.HandshakeTimeout);
        Assert.False(options.Unix.RecoverStaleSocketFile);
        Assert.True(options.Unix.RemoveSocketFileOnClose);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, options.Unix.SocketFileMode);
        Assert.Equal("www-data", options.Unix.SocketFileGroup);
    }

    [Fact]
    public async Task UnlimitedStartsFromPythonsBehaviourAndTheDefaultsAreTheLibrarys()
    {
        await using TestHost host = TestHost.Build(
            new Dictionary<string, string?>
            {
                ["SocketServer:Servers:open:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:open:Limits:Unlimited"] = "true",
                ["SocketServer:Servers:open:Limits:MaxLineLength"] = "100",
                ["SocketServer:Servers:plain:Endpoints"] = "tcp://127.0.0.1:0",
            },
            b =>
            {
                b.Services.AddSocketServer<SyncLineEcho>("open");
                b.Services.AddSocketServer<SyncLineEcho>("plain");
            });
        var monitor = host.Services.GetRequiredService<IOptionsMonitor<SocketServerOptions>>();

        ServerLimits open = monitor.Get("open").Limits;
        Assert.Null(open.MaxConnections);
        Assert.Null(open.IdleTimeout);
        Assert.Null(open.MinReceiveRate);
        Assert.Equal(100, open.MaxLineLength);

        SocketServerOptions plain = monitor.Get("plain");
        // A single endpoint may be a string; everything else is the library's default.
        Assert.Equal(["tcp://127.0.0.1:0"], plain.Endpoints);
        Assert.Equal(SocketServerMode.Async, plain.Mode);
        var defaults = new ServerLimits();
        Assert.Equal(defaults.MaxConnections, plain.Limits.MaxConnections);
        Assert.Equal(defaults.IdleTimeout, plain.Limits.IdleTimeout);
        Assert.Equal(defaults.MaxLineLength, plain.Limits.MaxLineLength);
        Assert.False(plain.Tls.CertificateFile is not null);
    }

    [Fact]
    public async Task EveryProblemIsReportedOnStartOnceNamingItsKey()
    {
        await using TestHost host = TestHost.Build(
            new Dictionary<string, string?>
            {
                [$"{Echo}:Endpoints:0"] = "tcp://127.0.0.1:10001",
                [$"{Echo}:Endpoints:1"] = "tcp:/127.0.0.1:10001",
                [$"{Echo}:Endpoints:2"] = "tcp://example.com:80",
                [$"{Echo}:Endpoints:3"] = "udp://127.0.0.1:99999",
                [$"{Echo}:Endpoints:4"] = "udp://127.0.0.1:10001",
                [$"{Echo}:Mode"] = "fork",
                [$"{Echo}:Limits:MaxConnections"] = "-5",
                [$"{Echo}:Limits:MaxLineLength"] = "lots",
                [$"{Echo}:Limits:IdleTimeout"] = "130",
                [$"{Echo}:Limits:FirstUnitTimeout"] = "-00:00:01",
                [$"{Echo}:Limits:MinSendRate:BytesPerSecond"] = "0",
                [$"{Echo}:Limit:MaxConnections"] = "10",
                [$"{Echo}:Tls:CertificateFile"] = "missing.pem",
                [$"{Echo}:Unix:SocketFileMode"] = "rw-rw----",
            },
            b => b.Services.AddSocketServer<SyncLineEcho>("echo"));

        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.Host.StartAsync(TestContext.Current.CancellationToken));

        string missing = Path.Combine(AppContext.BaseDirectory, "missing.pem");
        Assert.Equal("echo", e.OptionsName);
        Assert.Equal(
            [
                $"{Echo}:Limit is not a setting here; the settings are Endpoints, Mode, Limits, Tls, Unix, ProxyProtocol, AsyncTransport, MaxIdleThreads, AllowReusePort.",
                $"{Echo}:Mode: 'fork' is not a mode; use async, threading, sync or forking.",
                $"{Echo}:Limits:MaxConnections: -5 is not allowed: the limit must be at least 1 (\"none\" switches it off).",
                $"{Echo}:Limits:MaxLineLength: 'lots' is not a whole number (\"none\" switches the limit off).",
                $"{Echo}:Limits:IdleTimeout: '130' is not a time span; write it as hh:mm:ss, as \"00:02:10\".",
                $"{Echo}:Limits:FirstUnitTimeout: -00:00:01 is not allowed: the timeout must be longer than 0 (\"none\" switches it off).",
                $"{Echo}:Limits:MinSendRate:BytesPerSecond: '0' is not allowed: the rate must be a number of bytes per second above 0.",
                $"{Echo}:Unix:SocketFileMode: 'rw-rw----' is not a file mode; write it in octal, as \"0660\".",
                $"{Echo}:Endpoints:1: 'tcp:/127.0.0.1:10001' is not an endpoint: expected tcp://HOST:PORT, udp://HOST:PORT, unix:PATH or unix-dgram:PATH.",
                $"{Echo}:Endpoints:2: 'tcp://example.com:80' is not an endpoint: 'example.com' is not an IPv4 address, [IPv6] address or localhost (names are not resolved).",
                $"{Echo}:Endpoints:3: 'udp://127.0.0.1:99999' is not an endpoint: '99999' is not a port number from 0 to 65535.",
                $"{Echo}:Endpoints:4: udp://127.0.0.1:10001 is a datagram endpoint, but the server's handler (SyncLineEcho) serves streams; add a DatagramRequestHandler or AsyncDatagramRequestHandler with UseHandler, or remove the endpoint.",
                $"{Echo}:Tls:CertificateFile: the file 'missing.pem' does not exist ({missing}).",
            ],
            e.Failures);
        Assert.Equal(string.Join("; ", e.Failures), e.Message);
        Assert.Empty(host.Servers);
    }

    [Fact]
    public async Task AServerWithoutEndpointsOrHandlerIsAProblem()
    {
        await using TestHost host = TestHost.Build([], b => b.Services.AddSocketServer("nothing"));

        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.Host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Equal(
            [
                "SocketServer:Servers:nothing:Endpoints: the server has no endpoint; add one, such as \"tcp://127.0.0.1:10001\".",
                "SocketServer:Servers:nothing: the server has no handler; add one with AddSocketServer<THandler>(\"nothing\") or UseHandler<THandler>().",
            ],
            e.Failures);
    }

    [Fact]
    public async Task TlsWithoutAStreamEndpointAndTlsSettingsWithoutACertificateAreProblems()
    {
        using var directory = new TempDirectory();
        string certificate = Path.Combine(directory.Path, "server.pem");
        await File.WriteAllTextAsync(certificate, "not used", TestContext.Current.CancellationToken);
        await using TestHost host = TestHost.Build(
            new Dictionary<string, string?>
            {
                ["SocketServer:Servers:dgram:Endpoints:0"] = "udp://127.0.0.1:0",
                ["SocketServer:Servers:dgram:Tls:CertificateFile"] = certificate,
                ["SocketServer:Servers:keyonly:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:keyonly:Tls:KeyFile"] = "server.key",
            },
            b =>
            {
                b.Services.AddSocketServer<SyncDatagramEcho>("dgram");
                b.Services.AddSocketServer<SyncLineEcho>("keyonly");
            });

        // Each server's options are validated on their own: the start fails with both.
        AggregateException e = await Assert.ThrowsAsync<AggregateException>(() => host.Host.StartAsync(TestContext.Current.CancellationToken));
        string[] failures = [.. e.InnerExceptions.Cast<OptionsValidationException>().SelectMany(static x => x.Failures)];
        Assert.Equal(
            [
                "SocketServer:Servers:dgram:Tls: TLS is set, but the server has no stream endpoint (tcp:// or unix:) to use it; datagram endpoints are served in plaintext.",
                "SocketServer:Servers:keyonly:Tls:KeyFile is set, but Tls:CertificateFile is not: TLS needs the server's certificate.",
            ],
            failures);
    }

    [Fact]
    public async Task ConfiguredServersThatNoCodeAddedAreWarnedAbout()
    {
        await using TestHost host = await TestHost.StartAsync(
            new Dictionary<string, string?>
            {
                [$"{Echo}:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Servers:ehco:Endpoints:0"] = "tcp://127.0.0.1:0",
                ["SocketServer:Server:echo:Mode"] = "sync",
            },
            static b => b.Services.AddSocketServer<SyncLineEcho>("echo"));

        string[] warnings = [.. host.Logs.GetSnapshot()
            .Where(static r => r.Category == "SocketServer.Hosting" && r.Level == Microsoft.Extensions.Logging.LogLevel.Warning)
            .Select(static r => r.Message)];
        Assert.Equal(
            [
                "The configuration key SocketServer:Server is not used: the servers go under SocketServer:Servers:NAME",
                "The configuration key SocketServer:Servers:ehco is not used: no server of that name was added (AddSocketServer<THandler>(\"ehco\"))",
            ],
            warnings);
        Assert.Single(host.Servers);
        await host.StopAsync();
    }

    [Fact]
    public void ANameCanBeAddedOnce()
    {
        var services = new ServiceCollection();
        services.AddSocketServer<SyncLineEcho>("echo");

        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => services.AddSocketServer<SyncLineEcho>("Echo"));
        Assert.Contains("'Echo' was added already", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OneHandlerPerKindOfEndpoint()
    {
        var services = new ServiceCollection();
        SocketServerBuilder builder = services.AddSocketServer<SyncLineEcho>("echo").UseHandler<SyncDatagramEcho>();

        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => builder.UseHandler<AsyncLineEcho>());
        Assert.Equal("The socket server 'echo' has a handler for those endpoints already (SyncLineEcho); it cannot also use AsyncLineEcho.", e.Message);
    }
}
