using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace SocketServer.Hosting.Internal;

/// <summary>
/// Runs every server added with <c>AddSocketServer</c>, as one hosted service so that they drain together: binds them
/// all in <see cref="StartAsync"/> (a bind failure fails the host's start with the library's message, and what was
/// bound is closed), serves them, and on <see cref="StopAsync"/> drains them at once within the host's shutdown
/// timeout, closes them and logs each drain's result.
/// </summary>
internal sealed class SocketServerHostedService : IHostedService, IAsyncDisposable
{
    /// <summary>The longest grace a drain is given when the host's shutdown timeout is infinite (Task.Delay's limit is 49 days).</summary>
    private static readonly TimeSpan s_longestGrace = TimeSpan.FromDays(24);

    private readonly IReadOnlyList<ServerRegistration> _registrations;
    private readonly IOptionsMonitor<SocketServerOptions> _options;
    private readonly IServiceProvider _services;
    private readonly HostedSocketServers _registry;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly HostOptions _hostOptions;
    private readonly ContentRoot _contentRoot;
    private readonly ILogger _logger;
    private readonly CancellationTokenRegistration _stoppingRegistration;
    private readonly List<ServerRun> _runs = [];
    private readonly SocketServerHostOptions _hostLevel;
    private AgentCheckServer? _agent;
    private long _stoppingAt;

    /// <summary>Creates the service; nothing is bound until <see cref="StartAsync"/>.</summary>
    public SocketServerHostedService(
        IEnumerable<ServerRegistration> registrations,
        IOptionsMonitor<SocketServerOptions> options,
        IServiceProvider services,
        HostedSocketServers registry,
        IHostApplicationLifetime lifetime,
        IOptions<HostOptions> hostOptions,
        IOptions<SocketServerHostOptions> hostLevel,
        ContentRoot contentRoot)
    {
        _hostLevel = hostLevel.Value;
        _registrations = [.. registrations];
        _options = options;
        _services = services;
        _registry = registry;
        _lifetime = lifetime;
        _hostOptions = hostOptions.Value;
        _contentRoot = contentRoot;
        _logger = services.GetService<ILoggerFactory>()?.CreateLogger(HostingLog.Category) ?? NullLogger.Instance;
        // The host's shutdown timeout runs from the moment it starts stopping, before it reaches this service.
        _stoppingRegistration = lifetime.ApplicationStopping.Register(
            static state => Volatile.Write(ref ((SocketServerHostedService)state!)._stoppingAt, TimeProvider.System.GetTimestamp()), this);
    }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        bool worker = ForkingWorker.IsWorkerProcess;
        if (!worker)
        {
            WarnAboutUnusedSections();
        }

        try
        {
            foreach (ServerRegistration registration in _registrations)
            {
                Build(registration, worker, cancellationToken);
            }

            if (!worker)
            {
                BindAgentCheck();
            }

            foreach (ServerRun run in _runs)
            {
                run.Start(ServingFailed);
            }
        }
        catch
        {
            CloseAll();
            throw;
        }

        _registry.Publish(_runs.Select(static r => r.Entry), _agent);
        if (!worker)
        {
            foreach (ServerRun run in _runs)
            {
                _logger.Listening(run.Name, run.Address, run.ModeName);
            }

            StartAgentCheck();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (ForkingWorker.IsWorkerProcess)
        {
            // A worker serves one request at a time for its parent and exits when done: let it finish, within the host's timeout.
            Task[] serving = [.. _runs.Select(static r => r.Serving).OfType<Task>()];
            if (serving.Length > 0)
            {
                Task first = Task.WhenAny(serving);
                await first.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            return;
        }

        try
        {
            await AnnounceDrainAsync(cancellationToken).ConfigureAwait(false);
            TimeSpan grace = Grace();
            // The drains set every server's HealthState to Drain at once: the agent answers "drain" while they last.
            await Task.WhenAll(_runs.Select(run => run.StopAsync(grace, cancellationToken))).ConfigureAwait(false);
        }
        finally
        {
            CloseAgentCheck();
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _stoppingRegistration.Dispose();
        CloseAll();
        return ValueTask.CompletedTask;
    }

    /// <summary>Builds, configures and binds the servers of <paramref name="registration"/>, one per endpoint.</summary>
    private void Build(ServerRegistration registration, bool worker, CancellationToken cancellationToken)
    {
        SocketServerOptions options = _options.Get(registration.Name);
        // In a forking worker only the forking servers are built, in the same order as in the parent (that is how a
        // worker finds its server); the parent owns every address.
        if (worker && options.Mode != SocketServerMode.Forking)
        {
            return;
        }

        TlsOptions? tls = options.Tls.IsEnabled ? LoadTls(options.Tls) : null;
        var scopeFactory = _services.GetRequiredService<IServiceScopeFactory>();
        for (int i = 0; i < options.Endpoints.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Validated on start already; these throws only guard a host that removed the validation.
            if (!Endpoint.TryParse(options.Endpoints[i], out Endpoint? endpoint, out string? error))
            {
                throw new InvalidOperationException($"{registration.SectionPath}:Endpoints:{i}: '{options.Endpoints[i]}' is not an endpoint: {error}");
            }

            HandlerActivator activator = registration.HandlerFor(endpoint.Kind)
                ?? throw new InvalidOperationException($"{registration.SectionPath}:Endpoints:{i}: no handler of the server serves {options.Endpoints[i]}.");
            var scopes = new RequestScopes(scopeFactory, activator, _logger, registration.Name);
            TcpServer server = ScopedServerFactory.Create(endpoint, options.Mode, scopes);
            // Listed before it binds, so that a failure closes it with the others.
            _runs.Add(new ServerRun(registration.Name, options.Mode, server, _logger));
            Configure(server, endpoint, options, tls);
            if (!worker)
            {
                server.ServerBind();
                server.ServerActivate();
            }
        }
    }

    /// <summary>Binds the agent check (<see cref="SocketServerHostOptions.AgentCheck"/>), if one is configured, reporting on every endpoint's server.</summary>
    private void BindAgentCheck()
    {
        if (_hostLevel.AgentCheck is not { } address)
        {
            return;
        }

        // Validated on start already; this throw only guards a host that removed the validation.
        if (!HostOptionsValidator.TryParseAgent(address, out Endpoint? endpoint, out string? error))
        {
            throw new InvalidOperationException($"{SocketServerHostOptions.Section}:AgentCheck: '{address}' is not an agent-check address: {error}");
        }

        // Bound by its constructor: a bind failure fails the start with the library's message, as an endpoint's does.
        _agent = new AgentCheckServer(endpoint.EndPoint, _runs.Select(static r => r.Server));
        _agent.LoggerFactory = _services.GetService<ILoggerFactory>();
        _agent.MeterFactory = _services.GetService<IMeterFactory>();
    }

    /// <summary>Serves the agent check on a thread of its own: it is a synchronous server whose answers never block.</summary>
    private void StartAgentCheck()
    {
        if (_agent is not { } agent)
        {
            return;
        }

        string address = FormatAgent(agent);
        var thread = new Thread(() =>
        {
            try
            {
                agent.ServeForever();
            }
            catch (Exception e) when (!agent.IsClosed)
            {
                // HAProxy will see the agent down; the servers themselves are not worth stopping for it.
                _logger.AgentCheckFailed(address, e);
            }
            catch (Exception)
            {
                // Closed by the host's stop.
            }
        })
        {
            IsBackground = true,
            Name = "socketserver agent-check",
        };
        thread.Start();
        _logger.AgentCheckListening(address, _runs.Count);
    }

    private void CloseAgentCheck()
    {
        try
        {
            _agent?.ServerClose();
        }
        catch (Exception e)
        {
            _logger.CloseFailed("agent-check", FormatAgent(_agent!), e);
        }
    }

    private static string FormatAgent(AgentCheckServer agent) => $"tcp://{agent.ServerAddress}";

    private void Configure(TcpServer server, Endpoint endpoint, SocketServerOptions options, TlsOptions? tls)
    {
        // The host's logging and metrics, and its clock if it registered one (the limits and the drain use it).
        server.LoggerFactory = _services.GetService<ILoggerFactory>();
        server.MeterFactory = _services.GetService<IMeterFactory>();
        if (_services.GetService<TimeProvider>() is { } time)
        {
            server.TimeProvider = time;
        }

        server.Limits = options.Limits;
        if (endpoint.IsStream)
        {
            server.Tls = tls;
        }

        if (endpoint.IsStream)
        {
            server.ProxyProtocol = options.ProxyProtocol;
        }

        if (options.AsyncTransport is { } transport)
        {
            server.AsyncTransport = transport;
        }

        if (endpoint.Kind is EndpointKind.Tcp or EndpointKind.Udp)
        {
            server.AllowReusePort = options.AllowReusePort;
        }

        if (options.MaxIdleThreads is { } idle)
        {
            SetMaxIdleThreads(server, idle);
        }

        SocketServerUnixOptions unix = options.Unix;
        switch (server)
        {
            case UnixStreamServer stream:
                stream.RecoverStaleSocketFile = unix.RecoverStaleSocketFile;
                stream.RemoveSocketFileOnClose = unix.RemoveSocketFileOnClose;
                stream.SocketFileMode = unix.SocketFileMode;
                stream.SocketFileGroup = unix.SocketFileGroup;
                break;
            case UnixDatagramServer datagram:
                datagram.RecoverStaleSocketFile = unix.RecoverStaleSocketFile;
                datagram.RemoveSocketFileOnClose = unix.RemoveSocketFileOnClose;
                datagram.SocketFileMode = unix.SocketFileMode;
                datagram.SocketFileGroup = unix.SocketFileGroup;
                break;
        }

        options.ConfigureServer?.Invoke(server);
    }

    private static void SetMaxIdleThreads(TcpServer server, int idle)
    {
        switch (server)
        {
            case ThreadingTcpServer tcp:
                tcp.MaxIdleThreads = idle;
                break;
            case ThreadingUdpServer udp:
                udp.MaxIdleThreads = idle;
                break;
            case ThreadingUnixStreamServer unixStream:
                unixStream.MaxIdleThreads = idle;
                break;
            case ThreadingUnixDatagramServer unixDatagram:
                unixDatagram.MaxIdleThreads = idle;
                break;
        }
    }

    /// <summary>The server's TLS, read from its files once (shared by its stream endpoints), or the options given in code.</summary>
    /// <exception cref="TlsConfigurationException">A file cannot be used; the message names it.</exception>
    private TlsOptions LoadTls(SocketServerTlsOptions files)
    {
        if (files.Options is { } options)
        {
            return options;
        }

        string certificate = _contentRoot.Resolve(files.CertificateFile!);
        bool pkcs12 = certificate.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || certificate.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);
        TlsOptions tls = pkcs12
            ? TlsOptions.FromPfxFile(certificate, files.Password)
            : TlsOptions.FromPemFiles(certificate, files.KeyFile is null ? null : _contentRoot.Resolve(files.KeyFile));
        if (files.ClientCaFile is { } ca)
        {
            tls.RequireClientCertificatesFrom(_contentRoot.Resolve(ca));
        }

        if (files.HandshakeTimeout is { } timeout)
        {
            tls.HandshakeTimeout = timeout;
        }

        return tls;
    }

    /// <summary>
    /// The drain's grace: what is left of the host's shutdown timeout, less a tenth of it (at most a second) kept for
    /// aborting what did not finish and closing, so that the host's stop ends within its timeout.
    /// </summary>
    /// <summary>
    /// <see cref="SocketServerHostOptions.DrainDelay"/>: every server says <see cref="HealthState.Drain"/> (a
    /// <see cref="HealthState.Maint"/> the application set stays) and goes on accepting for that long, so a load balancer
    /// sees it before new clients are refused; cut short when the host's shutdown timeout would not leave a grace period.
    /// </summary>
    private async Task AnnounceDrainAsync(CancellationToken cancellationToken)
    {
        TimeSpan delay = _hostLevel.DrainDelay;
        if (delay <= TimeSpan.Zero || _runs.Count == 0)
        {
            return;
        }

        foreach (ServerRun run in _runs)
        {
            if (run.Server.HealthState == HealthState.Up)
            {
                run.Server.HealthState = HealthState.Drain;
            }
        }

        TimeSpan wait = delay < Grace() ? delay : Grace() / 2;
        _logger.DrainAnnounced(wait.TotalSeconds);
        await Task.Delay(wait, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private TimeSpan Grace()
    {
        TimeSpan timeout = _hostOptions.ShutdownTimeout;
        if (timeout == Timeout.InfiniteTimeSpan || timeout >= s_longestGrace)
        {
            return s_longestGrace;
        }

        long stoppingAt = Volatile.Read(ref _stoppingAt);
        TimeSpan elapsed = stoppingAt == 0 ? TimeSpan.Zero : TimeProvider.System.GetElapsedTime(stoppingAt);
        TimeSpan left = timeout - elapsed;
        if (left <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        TimeSpan reserve = TimeSpan.FromTicks(Math.Min(left.Ticks / 10, TimeSpan.TicksPerSecond));
        return left - reserve;
    }

    /// <summary>A server stopped serving by itself (a handler asked to exit, a hook threw): the application stops, as after a failed background service.</summary>
    private void ServingFailed(ServerRun run, Exception exception)
    {
        _logger.ServeFailed(run.Name, run.Address, exception);
        _lifetime.StopApplication();
    }

    /// <summary>Warns about configured servers that no code added, and keys beside <c>Servers</c>: most likely typos.</summary>
    private void WarnAboutUnusedSections()
    {
        if (_services.GetService<IConfiguration>() is not { } configuration)
        {
            return;
        }

        IConfigurationSection root = configuration.GetSection("SocketServer");
        foreach (IConfigurationSection child in root.GetChildren())
        {
            if (!child.Key.Equals("Servers", StringComparison.OrdinalIgnoreCase)
                && !child.Key.Equals("AgentCheck", StringComparison.OrdinalIgnoreCase)
                && !child.Key.Equals("DrainDelay", StringComparison.OrdinalIgnoreCase))
            {
                _logger.UnusedSection(child.Path, "the servers go under SocketServer:Servers:NAME");
            }
        }

        foreach (IConfigurationSection server in configuration.GetSection(SocketServerOptions.ServersSection).GetChildren())
        {
            if (!_registrations.Any(r => r.Name.Equals(server.Key, StringComparison.OrdinalIgnoreCase)))
            {
                _logger.UnusedSection(server.Path, $"no server of that name was added (AddSocketServer<THandler>(\"{server.Key}\"))");
            }
        }
    }

    private void CloseAll()
    {
        CloseAgentCheck();
        foreach (ServerRun run in _runs)
        {
            run.Close();
        }
    }
}
