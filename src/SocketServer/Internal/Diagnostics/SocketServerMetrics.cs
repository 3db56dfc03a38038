using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Security.Authentication;

namespace SocketServer.Internal.Diagnostics;

/// <summary>
/// The instruments of the <c>SocketServer</c> meter, named after OpenTelemetry's conventions as Kestrel's are
/// (<c>kestrel.active_connections</c> → <c>socketserver.active_connections</c>). Every measurement carries the server's
/// <see cref="ServerTags"/>; the recording methods take them from <see cref="ServerDiagnostics"/>.
/// </summary>
/// <remarks>
/// <para>One instance per <see cref="Meter"/>: the shared meter of servers without an <see cref="IMeterFactory"/>, or
/// the one a factory returns (a factory hands the same meter to every server that asks, so they share instruments).</para>
/// <para>Per-event instruments (connections, rejections, handshakes, errors) are counters and histograms recorded when
/// the event happens: one record per connection, not per message. Bytes and datagrams are observable counters read
/// from each server's <see cref="TrafficTotals"/> when a listener collects, so the data path never pays for a listener.
/// The accept queue is observed from the listening socket (<see cref="ListenBacklog"/>).</para>
/// </remarks>
internal sealed class SocketServerMetrics
{
    /// <summary>The meter's name, for <c>dotnet-counters --counters SocketServer</c> or an OpenTelemetry <c>AddMeter</c>.</summary>
    public const string MeterName = "SocketServer";

    /// <summary>The <c>error.type</c> of an accept pause at <see cref="ServerLimits.MaxConnections"/>.</summary>
    public const string MaxConnectionsPause = "max_connections";

    /// <summary>The <c>error.type</c> of an accept pause for want of descriptors (EMFILE, ENFILE).</summary>
    public const string DescriptorsPause = "descriptors";

    /// <summary>The <c>error.type</c> of a connection refused by the PROXY protocol (untrusted source, bad or late header).</summary>
    public const string ProxyProtocolRejection = "proxy_protocol";

    // Kestrel's advice: long buckets for connections (up to 5 min), short ones for handshakes (the HTTP request defaults).
    private static readonly double[] s_connectionBuckets = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
    private static readonly double[] s_handshakeBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
    private static readonly Lazy<SocketServerMetrics> s_shared = new(static () => new SocketServerMetrics(new Meter(MeterName)));
    private static readonly ConditionalWeakTable<Meter, SocketServerMetrics> s_byMeter = [];

    private readonly UpDownCounter<long> _activeConnections;
    private readonly Histogram<double> _connectionDuration;
    private readonly Counter<long> _rejectedConnections;
    private readonly Counter<long> _abortedConnections;
    private readonly Counter<long> _idleClosedConnections;
    private readonly Histogram<double> _tlsHandshakeDuration;
    private readonly Counter<long> _handlerErrors;
    private readonly Counter<long> _acceptPaused;
    private readonly Counter<long> _droppedDatagrams;
    private readonly Lock _lock = new();
    private readonly List<WeakReference<ServerDiagnostics>> _servers = [];

    private SocketServerMetrics(Meter meter)
    {
        Meter = meter;
        _activeConnections = meter.CreateUpDownCounter<long>(
            "socketserver.active_connections", "{connection}", "Connections open on the server.");
        _connectionDuration = meter.CreateHistogram(
            "socketserver.connection.duration", "s", "How long connections stayed open, from accept to close.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_connectionBuckets });
        _rejectedConnections = meter.CreateCounter<long>(
            "socketserver.rejected_connections", "{connection}", "Connections closed at accept without data because of a limit or a drain (error.type names it).");
        _abortedConnections = meter.CreateCounter<long>(
            "socketserver.aborted_connections", "{connection}", "Connections aborted because they broke a limit (error.type names it).");
        _idleClosedConnections = meter.CreateCounter<long>(
            "socketserver.idle_closed_connections", "{connection}", "Idle connections closed by the server: IdleTimeout, or a drain (error.type).");
        _tlsHandshakeDuration = meter.CreateHistogram(
            "socketserver.tls_handshake.duration", "s", "How long TLS handshakes took; error.type is set when one failed.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_handshakeBuckets });
        _handlerErrors = meter.CreateCounter<long>(
            "socketserver.handler.errors", "{error}", "Requests that ended with an exception (error.type is its type).");
        _acceptPaused = meter.CreateCounter<long>(
            "socketserver.accept.paused", "{pause}", "Times the server stopped accepting: at MaxConnections, or out of descriptors (error.type).");
        _droppedDatagrams = meter.CreateCounter<long>(
            "socketserver.datagrams.dropped", "{datagram}", "Datagram replies queued on an event loop's batch that the socket did not take (error.type: WouldBlock when its send buffer was full).");
        meter.CreateObservableUpDownCounter(
            "socketserver.queued_connections", ObserveQueued, "{connection}", "Connections waiting in the listen backlog to be accepted (TCP on Linux).");
        meter.CreateObservableCounter(
            "socketserver.io", ObserveBytes, "By", "Bytes received from and sent to clients by handlers (after TLS decryption); network.io.direction is receive or transmit.");
        meter.CreateObservableGauge(
            "socketserver.health.status", ObserveHealth, "1", "The server's health state (BaseServer.HealthState): 1 for the socketserver.health.state it is in (up, drain or maint), 0 for the others.");
        meter.CreateObservableCounter(
            "socketserver.datagrams", ObserveDatagrams, "{datagram}", "Datagrams received and sent; network.io.direction is receive or transmit.");
    }

    /// <summary>The meter of servers without a meter factory: one for the process, never disposed.</summary>
    public static SocketServerMetrics Shared => s_shared.Value;

    /// <summary>The meter the instruments are on.</summary>
    public Meter Meter { get; }

    /// <summary>The instruments on <paramref name="meterFactory"/>'s <c>SocketServer</c> meter, or the shared ones without a factory.</summary>
    public static SocketServerMetrics For(IMeterFactory? meterFactory)
    {
        if (meterFactory is null)
        {
            return Shared;
        }

        Meter meter = meterFactory.Create(new MeterOptions(MeterName));
        return s_byMeter.GetValue(meter, static meter => new SocketServerMetrics(meter));
    }

    /// <summary>Adds a server whose totals and backlog the observable instruments report (held weakly: a lost server does not leak).</summary>
    public void Register(ServerDiagnostics server)
    {
        lock (_lock)
        {
            _servers.RemoveAll(static reference => !reference.TryGetTarget(out _));
            _servers.Add(new WeakReference<ServerDiagnostics>(server));
        }
    }

    /// <summary>Stops reporting a server (closed, or its diagnostics replaced).</summary>
    public void Unregister(ServerDiagnostics server)
    {
        lock (_lock)
        {
            _servers.RemoveAll(reference => !reference.TryGetTarget(out ServerDiagnostics? target) || target == server);
        }
    }

    /// <summary>A connection opened.</summary>
    public void ConnectionOpened(in TagList tags) => _activeConnections.Add(1, tags);

    /// <summary>A connection closed after <paramref name="seconds"/>; <paramref name="errorType"/> says why it failed, if it did.</summary>
    public void ConnectionClosed(in TagList tags, double seconds, string? errorType)
    {
        _activeConnections.Add(-1, tags);
        if (_connectionDuration.Enabled)
        {
            TagList withError = tags;
            if (errorType is not null)
            {
                withError.Add("error.type", errorType);
            }

            _connectionDuration.Record(seconds, withError);
        }
    }

    /// <summary>A new connection was closed without data because of <paramref name="limit"/>.</summary>
    public void Rejected(in TagList tags, string limit) => AddWithError(_rejectedConnections, tags, limit);

    /// <summary>A connection was aborted for breaking <paramref name="limit"/>.</summary>
    public void Aborted(in TagList tags, string limit) => AddWithError(_abortedConnections, tags, limit);

    /// <summary>An idle connection was closed (<paramref name="reason"/>: IdleTimeout or Drain).</summary>
    public void ClosedIdle(in TagList tags, string reason) => AddWithError(_idleClosedConnections, tags, reason);

    /// <summary>A request ended with <paramref name="exception"/>.</summary>
    public void HandlerError(in TagList tags, Exception exception)
    {
        if (_handlerErrors.Enabled)
        {
            AddWithError(_handlerErrors, tags, exception.GetType().FullName ?? exception.GetType().Name);
        }
    }

    /// <summary>The server stopped accepting (<see cref="MaxConnectionsPause"/> or <see cref="DescriptorsPause"/>).</summary>
    public void AcceptPaused(in TagList tags, string reason) => AddWithError(_acceptPaused, tags, reason);

    /// <summary><paramref name="count"/> datagram replies were dropped (<paramref name="errorType"/>).</summary>
    public void DatagramsDropped(in TagList tags, int count, string errorType)
    {
        if (!_droppedDatagrams.Enabled)
        {
            return;
        }

        TagList withError = tags;
        withError.Add("error.type", errorType);
        _droppedDatagrams.Add(count, withError);
    }

    /// <summary>A TLS handshake ended: with <paramref name="protocol"/> negotiated, or failed with <paramref name="errorType"/>.</summary>
    public void TlsHandshake(in TagList tags, double seconds, SslProtocols? protocol, string? errorType)
    {
        if (!_tlsHandshakeDuration.Enabled)
        {
            return;
        }

        TagList withResult = tags;
        if (VersionOf(protocol) is { } version)
        {
            withResult.Add("tls.protocol.version", version);
        }

        if (errorType is not null)
        {
            withResult.Add("error.type", errorType);
        }

        _tlsHandshakeDuration.Record(seconds, withResult);
    }

    private static void AddWithError(Counter<long> counter, in TagList tags, string errorType)
    {
        if (!counter.Enabled)
        {
            return;
        }

        TagList withError = tags;
        withError.Add("error.type", errorType);
        counter.Add(1, withError);
    }

    private static string? VersionOf(SslProtocols? protocol) => protocol switch
    {
        SslProtocols.Tls12 => "1.2",
        SslProtocols.Tls13 => "1.3",
        null or SslProtocols.None => null,
        // Older versions are refused before they are negotiated; say what it was rather than drop it.
        { } other => other.ToString(),
    };

    private List<ServerDiagnostics> LiveServers()
    {
        List<ServerDiagnostics> live = [];
        lock (_lock)
        {
            foreach (WeakReference<ServerDiagnostics> reference in _servers)
            {
                if (reference.TryGetTarget(out ServerDiagnostics? server))
                {
                    live.Add(server);
                }
            }
        }

        return live;
    }

    private IEnumerable<Measurement<long>> ObserveQueued()
    {
        List<Measurement<long>> measurements = [];
        foreach (ServerDiagnostics server in LiveServers())
        {
            if (server.QueuedConnections() is { } queued)
            {
                measurements.Add(new Measurement<long>(queued, server.Tags.Tags));
            }
        }

        return measurements;
    }

    private IEnumerable<Measurement<long>> ObserveBytes()
    {
        List<Measurement<long>> measurements = [];
        foreach (ServerDiagnostics server in LiveServers())
        {
            TagList tags = server.Tags.Tags;
            measurements.Add(Directed(server.Traffic.ReceivedBytes, tags, "receive"));
            measurements.Add(Directed(server.Traffic.SentBytes, tags, "transmit"));
        }

        return measurements;
    }

    private IEnumerable<Measurement<int>> ObserveHealth()
    {
        List<Measurement<int>> measurements = [];
        foreach (ServerDiagnostics server in LiveServers())
        {
            HealthState current = server.HealthState;
            foreach (HealthState state in (ReadOnlySpan<HealthState>)[HealthState.Up, HealthState.Drain, HealthState.Maint])
            {
                // hw.status's pattern: one series per state, so a dashboard can sum "drain" over every instance.
                TagList tags = server.Tags.Tags;
                tags.Add("socketserver.health.state", HealthStateName(state));
                measurements.Add(new Measurement<int>(state == current ? 1 : 0, tags));
            }
        }

        return measurements;
    }

    /// <summary>The state's name in the metric and in the agent check's answer: up, drain or maint.</summary>
    public static string HealthStateName(HealthState state) => state switch
    {
        HealthState.Drain => "drain",
        HealthState.Maint => "maint",
        _ => "up",
    };

    private IEnumerable<Measurement<long>> ObserveDatagrams()
    {
        List<Measurement<long>> measurements = [];
        foreach (ServerDiagnostics server in LiveServers())
        {
            if (!server.IsDatagramServer)
            {
                continue;
            }

            TagList tags = server.Tags.Tags;
            measurements.Add(Directed(server.Traffic.ReceivedDatagrams, tags, "receive"));
            measurements.Add(Directed(server.Traffic.SentDatagrams, tags, "transmit"));
        }

        return measurements;
    }

    private static Measurement<long> Directed(long value, TagList tags, string direction)
    {
        tags.Add("network.io.direction", direction);
        return new Measurement<long>(value, tags);
    }
}
