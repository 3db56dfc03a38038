using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace SocketServer.Hosting.Tests.Infrastructure;

/// <summary>
/// A Generic Host as an application builds one, without the defaults that reach outside the test (appsettings.json,
/// environment variables, the console logger): configuration from memory, logs to a <see cref="FakeLogCollector"/>.
/// </summary>
internal sealed class TestHost : IAsyncDisposable
{
    private TestHost(IHost host)
    {
        Host = host;
    }

    public IHost Host { get; }

    public IServiceProvider Services => Host.Services;

    public FakeLogCollector Logs => Services.GetFakeLogCollector();

    public HostedSocketServers Servers => Services.GetRequiredService<HostedSocketServers>();

    /// <summary>Builds a host with <paramref name="configuration"/> in memory; <paramref name="configure"/> adds the servers.</summary>
    public static TestHost Build(IEnumerable<KeyValuePair<string, string?>> configuration, Action<HostApplicationBuilder> configure, TimeSpan? shutdownTimeout = null)
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.AddFakeLogging();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        if (shutdownTimeout is { } timeout)
        {
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = timeout);
        }

        configure(builder);
        return new TestHost(builder.Build());
    }

    /// <summary>Builds and starts a host.</summary>
    public static async Task<TestHost> StartAsync(IEnumerable<KeyValuePair<string, string?>> configuration, Action<HostApplicationBuilder> configure, TimeSpan? shutdownTimeout = null)
    {
        TestHost host = Build(configuration, configure, shutdownTimeout);
        try
        {
            await host.Host.StartAsync(TestContext.Current.CancellationToken);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>The address the <paramref name="index"/>th endpoint of server <paramref name="name"/> bound.</summary>
    public EndPoint Address(string name, int index = 0) => Servers.Named(name)[index].Server.ServerAddress;

    /// <summary>A collector of <paramref name="instrument"/> on the host's meter factory, SocketServer's meter.</summary>
    public MetricCollector<long> Collect(string instrument) =>
        new(Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "SocketServer", instrument);

    public Task StopAsync() => Host.StopAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Host is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        else
        {
            Host.Dispose();
        }
    }

    /// <summary>Whether <paramref name="endPoint"/> is free again: binding it succeeds.</summary>
    public static bool IsFree(IPEndPoint endPoint, SocketType type)
    {
        using var probe = new Socket(endPoint.AddressFamily, type, type == SocketType.Stream ? ProtocolType.Tcp : ProtocolType.Udp);
        try
        {
            probe.Bind(endPoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
