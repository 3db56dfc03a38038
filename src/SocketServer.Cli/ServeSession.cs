using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SocketServer.Internal;

namespace SocketServer.Cli;

/// <summary>
/// Runs the <c>serve</c> command: binds every listener, serves each on its own thread, prints one ready line per
/// listener, and stops cleanly on SIGINT or SIGTERM.
/// </summary>
internal sealed class ServeSession : IDisposable
{
    /// <summary>The grace period of the drain on SIGTERM or SIGINT when <c>--drain-timeout</c> is not given.</summary>
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(30);

    // After the grace period the drain aborts what is left and waits up to 5 s for those handlers; then we close anyway.
    private static readonly TimeSpan s_afterGrace = TimeSpan.FromSeconds(10);

    private readonly TextWriter _out;
    private readonly TextWriter _error;
    private readonly List<Listener> _listeners = [];
    private readonly List<PosixSignalRegistration> _signals = [];
    private readonly ManualResetEventSlim _stop = new(initialState: false);
    private readonly CancellationTokenSource _force = new();
    private int _signalCount;
    private AgentCheckServer? _agent;
    private Thread? _agentThread;
    private volatile bool _failed;

    /// <summary>Creates a session writing ready lines to <paramref name="output"/> and errors to <paramref name="error"/>.</summary>
    /// <param name="output">Where the ready lines go (standard output).</param>
    /// <param name="error">Where error lines go (standard error).</param>
    public ServeSession(TextWriter output, TextWriter error)
    {
        _out = output;
        _error = error;
    }

    /// <summary>The drain's grace period on SIGTERM or SIGINT (<c>--drain-timeout</c>).</summary>
    public TimeSpan DrainTimeout { get; init; } = DefaultDrainTimeout;

    /// <summary>
    /// <c>--max-connections</c>: null keeps the library's default (see ServerLimits.MaxConnections), 0 means no
    /// limit, anything else is <see cref="ServerLimits.MaxConnections"/>.
    /// </summary>
    public int? MaxConnections { get; init; }

    /// <summary>
    /// <c>--keep-stale-socket</c>: refuse a Unix path that holds a stale socket file instead of removing it (by default
    /// it is removed, after a connect to it is refused, and one line on standard error says so).
    /// </summary>
    public bool KeepStaleSocketFiles { get; init; }

    /// <summary><c>--agent-check</c>: where to answer HAProxy's agent check, or null.</summary>
    public EndPoint? AgentCheckAddress { get; init; }

    /// <summary>The agent-check socket systemd passed (named <c>agent-check</c>), or null.</summary>
    public Socket? AgentCheckSocket { get; init; }

    /// <summary><c>--drain-delay</c>: how long, after the first signal, to keep accepting while the health state says drain.</summary>
    public TimeSpan DrainDelay { get; init; }

    /// <summary><c>--proxy-protocol</c>: the PROXY protocol on every stream listener, or null.</summary>
    public ProxyProtocolOptions? ProxyProtocol { get; init; }

    /// <summary><c>--max-idle-threads</c>: the threading servers' parked request threads; null for the library's default (64).</summary>
    public int? MaxIdleThreads { get; init; }

    /// <summary><c>--transport</c>: the engine of <c>--mode async</c> (<see cref="BaseServer.AsyncTransport"/>); epoll by default.</summary>
    public AsyncTransport Transport { get; init; }

    /// <summary>Where every server logs (the library's events, one line each, on standard error); null for the library's default sink.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Serves until a signal asks to stop.</summary>
    /// <param name="specs">The listeners to bind, in order.</param>
    /// <param name="protocol">The protocol to serve.</param>
    /// <param name="mode">Synchronous or threading.</param>
    /// <param name="tls">TLS for the stream listeners, or <see langword="null"/>.</param>
    /// <returns>One of <see cref="ExitCodes"/>.</returns>
    public int Run(IReadOnlyList<ListenerSpec> specs, ServeProtocol protocol, ServeMode mode, TlsOptions? tls = null)
    {
        if (ForkingWorker.IsWorkerProcess)
        {
            return RunWorker(specs, protocol, mode, tls);
        }

        // Checked before binding, so that a process that could not serve its first client never says it is ready.
        try
        {
            DescriptorLimits.EnsureHeadroom();
        }
        catch (DescriptorLimitException e)
        {
            return Fail(ExitCodes.Address, e.Message);
        }

        // Registered before binding, so that a signal arriving at any time stops the servers cleanly.
        RegisterSignals();
        List<ListenerSpec> expanded = ListenerSpec.ExpandLocalhost(specs);
        int retries = 0;
        for (int i = 0; i < expanded.Count; i++)
        {
            ListenerSpec spec = expanded[i];
            bool portFromTwin = spec.IsLoopbackTwin && ((IPEndPoint)spec.EndPoint).Port == 0;
            if (portFromTwin)
            {
                // localhost:0 means one free port on both loopbacks: the one the IPv4 listener just got.
                spec = spec with { EndPoint = new IPEndPoint(IPAddress.IPv6Loopback, ((IPEndPoint)_listeners[^1].Server.ServerAddress).Port) };
            }

            try
            {
                Listener listener = Configure(Listener.Bind(spec, protocol, mode, tls, !KeepStaleSocketFiles, MaxIdleThreads));
                lock (_listeners)
                {
                    _listeners.Add(listener);
                }

                if (listener.RemovedStaleSocketFile)
                {
                    // Said on standard error, before the ready lines: standard output carries only those (an interface).
                    WriteLine(_error, $"socketserver: removed the stale socket file '{spec.EndPoint}' (no server was listening on it).");
                }
            }
            catch (ServerBindException e) when (portFromTwin && e.SocketErrorCode == SocketError.AddressAlreadyInUse && retries++ < 5)
            {
                // The port free on 127.0.0.1 is taken on ::1: start the pair again on another free port.
                _listeners[^1].Close();
                lock (_listeners)
                {
                    _listeners.RemoveAt(_listeners.Count - 1);
                }

                i -= 2;
            }
            catch (ServerBindException e)
            {
                return Fail(ExitCodes.Address, e.Message);
            }
            catch (SocketException e)
            {
                string address = EndPointFormatter.Format(spec.EndPoint, spec.IsStream ? SocketType.Stream : SocketType.Dgram);
                return Fail(ExitCodes.Address, $"Cannot bind {address}: {e.Message}");
            }
        }

        try
        {
            StartAgent();
        }
        catch (ServerBindException e)
        {
            return Fail(ExitCodes.Address, e.Message);
        }

        foreach (Listener listener in _listeners)
        {
            listener.Failed += OnListenerFailed;
            listener.Start();
            WriteLine(_out, $"listening on {listener.Address}");
        }

        if (_agent is not null)
        {
            _agentThread!.Start();
            WriteLine(_out, $"agent-check on {EndPointFormatter.Format(_agent.ServerAddress, SocketType.Stream)}");
        }

        _stop.Wait();
        StopListeners();
        return _failed ? ExitCodes.ServeFailed : ExitCodes.Success;
    }

    /// <summary>Binds (or adopts) the agent-check listener, reporting on every listener; started after them.</summary>
    private void StartAgent()
    {
        if (AgentCheckAddress is null && AgentCheckSocket is null)
        {
            return;
        }

        BaseServer[] servers = [.. _listeners.Select(static l => l.Server)];
        bool adopt = AgentCheckSocket is not null;
        _agent = new AgentCheckServer(AgentCheckSocket?.LocalEndPoint ?? AgentCheckAddress!, servers, bindAndActivate: !adopt)
        {
            LoggerFactory = LoggerFactory,
        };
        if (adopt)
        {
            _agent.AdoptSocket(AgentCheckSocket!);
        }

        AgentCheckServer agent = _agent;
        _agentThread = new Thread(() => ServeAgent(agent)) { IsBackground = true, Name = "agent-check" };
    }

    private void ServeAgent(AgentCheckServer agent)
    {
        try
        {
            agent.ServeForever();
        }
        catch (Exception e)
        {
            // The agent is not worth stopping the servers for, but HAProxy will see it down: say so.
            WriteLine(_error, $"socketserver: the agent check stopped answering: {OneLine(e.Message)}");
        }
    }

    /// <summary>
    /// A forking worker: builds the same listeners (which do not bind in a worker) and lets the one this worker
    /// belongs to serve what the parent hands over; that listener ends the process. Prints nothing: the ready lines
    /// are the parent's.
    /// </summary>
    private int RunWorker(IReadOnlyList<ListenerSpec> specs, ServeProtocol protocol, ServeMode mode, TlsOptions? tls)
    {
        // Ctrl-C in a terminal reaches the whole process group; the parent decides when to stop, and a worker
        // finishes its request and exits when the parent closes its channel.
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, static context => context.Cancel = true));
        foreach (ListenerSpec spec in ListenerSpec.ExpandLocalhost(specs))
        {
            _listeners.Add(Configure(Listener.Bind(spec, protocol, mode, tls, !KeepStaleSocketFiles, MaxIdleThreads)));
        }

        _listeners.ForEach(static listener => listener.Start());
        Thread.Sleep(Timeout.Infinite);
        return ExitCodes.Success;
    }

    /// <summary>Unregisters the signal handlers and closes any listener still open.</summary>
    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _signals)
        {
            registration.Dispose();
        }

        CloseListeners();
        _agent?.ServerClose();
        _stop.Dispose();
        _force.Dispose();
    }

    private Listener Configure(Listener listener)
    {
        listener.Server.LoggerFactory = LoggerFactory;
        if (ProxyProtocol is not null && listener.Server is TcpServer { SocketType: System.Net.Sockets.SocketType.Stream } stream)
        {
            stream.ProxyProtocol = ProxyProtocol;
        }

        listener.Server.AsyncTransport = Transport;
        if (MaxConnections is { } max)
        {
            listener.Server.Limits.MaxConnections = max == 0 ? null : max;
        }

        return listener;
    }

    private void RegisterSignals()
    {
        foreach (PosixSignal signal in (ReadOnlySpan<PosixSignal>)[PosixSignal.SIGINT, PosixSignal.SIGTERM])
        {
            _signals.Add(PosixSignalRegistration.Create(signal, OnSignal));
        }

        // SIGUSR1 and SIGUSR2 (raw numbers: .NET names neither) take the process out of rotation and back.
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            bool linux = OperatingSystem.IsLinux();
            _signals.Add(PosixSignalRegistration.Create((PosixSignal)(linux ? 10 : 30), context => OnHealthSignal(context, HealthState.Maint, "SIGUSR1")));
            _signals.Add(PosixSignalRegistration.Create((PosixSignal)(linux ? 12 : 31), context => OnHealthSignal(context, HealthState.Up, "SIGUSR2")));
        }
    }

    private void OnHealthSignal(PosixSignalContext context, HealthState state, string name)
    {
        context.Cancel = true;
        if (Volatile.Read(ref _signalCount) > 0)
        {
            // Stopping: the state says drain until the end, whatever is asked.
            WriteLine(_error, $"socketserver: {name} ignored: the servers are stopping (health state drain).");
            return;
        }

        Listener[] listeners;
        lock (_listeners)
        {
            listeners = [.. _listeners];
        }

        foreach (Listener listener in listeners)
        {
            listener.Server.HealthState = state;
        }

        _agent?.HealthState = state;
        string word = state == HealthState.Maint ? "maint" : "up";
        WriteLine(_error, $"socketserver: {name}: health state {word}{(_agent is null ? "" : $" (the agent check answers '{word}')")}.");
    }

    private void OnSignal(PosixSignalContext context)
    {
        // Cancel the default action (terminating the process); the main thread stops the servers.
        context.Cancel = true;
        int count = Interlocked.Increment(ref _signalCount);
        if (count == 2)
        {
            // Said before the aborts it causes, so their lines read as its consequence, not as a grace period run out.
            WriteLine(_error, $"socketserver: a second {context.Signal} cut the drain short: requests still in progress are aborted now.");
        }

        if (count > 1)
        {
            // A second signal ends the drain's grace period at once.
            _force.Cancel();
        }

        _stop.Set();
    }

    private void OnListenerFailed(Listener listener, Exception exception)
    {
        _failed = true;
        WriteLine(_error, $"socketserver: {listener.Address} stopped serving: {OneLine(exception.Message)}");
        _stop.Set();
    }

    private void StopListeners()
    {
        if (DrainDelay > TimeSpan.Zero)
        {
            // Say drain first and keep accepting, so that a load balancer polling the agent check stops sending new
            // connections before they would wait in a backlog nobody accepts from. A second signal ends the wait.
            foreach (Listener listener in _listeners)
            {
                if (listener.Server.HealthState == HealthState.Up)
                {
                    listener.Server.HealthState = HealthState.Drain;
                }
            }

            _force.Token.WaitHandle.WaitOne(DrainDelay);
        }

        // Drain every listener side by side: stop accepting, close idle connections, let requests in progress finish
        // within the grace period, then abort the rest. A second signal ends the grace period at once.
        Task<DrainResult>[] drains = [.. _listeners.Select(l => l.Server.ShutdownAsync(DrainTimeout, _force.Token))];
        bool drained = Task.WaitAll(drains, DrainTimeout + s_afterGrace);
        CloseListeners();
        DrainResult[] results = [.. drains.Where(static d => d.IsCompletedSuccessfully).Select(static d => d.Result)];
        // The stop report goes to standard output, after the ready lines (an interface: see docs/cli.md).
        WriteLine(_out, string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"drained: {results.Sum(static r => r.Completed)} completed, {results.Sum(static r => r.ClosedIdle)} closed idle, {results.Sum(static r => r.Aborted)} aborted"));
        if (!drained)
        {
            WriteLine(_error, "socketserver: some listeners did not stop within the drain timeout and were closed anyway.");
        }
    }

    private void CloseListeners()
    {
        foreach (Listener listener in _listeners)
        {
            listener.Close();
        }

        lock (_listeners)
        {
            _listeners.Clear();
        }
    }

    private int Fail(int exitCode, string message)
    {
        CloseListeners();
        WriteLine(_error, $"socketserver: {OneLine(message)}");
        return exitCode;
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");

    private static void WriteLine(TextWriter writer, string line)
    {
        writer.WriteLine(line);
        writer.Flush();
    }
}
