using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;

namespace SocketServer.Internal.Diagnostics;

/// <summary>
/// One server's logging and metrics: its <see cref="ILogger"/> (category <c>SocketServer</c>, or the standard-error
/// sink without a <see cref="BaseServer.LoggerFactory"/>), its instruments and tags, its byte totals, and the
/// throttle of its repeated lines. Every place that reports something calls one method here, named after the event.
/// </summary>
/// <remarks>
/// Recording costs nothing worth measuring when nobody listens: the instruments check <c>Enabled</c> first, and a log
/// method formats nothing unless its level is enabled. Strings for the log lines (the client's address) are built
/// only after that check.
/// </remarks>
internal sealed class ServerDiagnostics : IDisposable
{
    /// <summary>The logger category of every event: filter on <c>SocketServer</c>.</summary>
    public const string LoggerCategory = "SocketServer";

    private readonly BaseServer _server;
    private readonly SocketServerMetrics _metrics;
    private readonly ThrottledReport _throttle;
    private ServerTags? _tags;

    /// <summary>Creates the diagnostics of <paramref name="server"/> and registers its totals with the meter's observable instruments.</summary>
    /// <param name="server">The server; its address and socket are read when tags are first needed (after binding).</param>
    /// <param name="loggerFactory">Where events go; null for <paramref name="standardError"/>.</param>
    /// <param name="meterFactory">Whose <c>SocketServer</c> meter to record on; null for the process's shared one.</param>
    /// <param name="standardError">The default sink (Warning and above to standard error, and Python's error report).</param>
    public ServerDiagnostics(BaseServer server, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory, StandardErrorLogger standardError)
    {
        _server = server;
        StandardError = standardError;
        HasLoggerFactory = loggerFactory is not null;
        Logger = loggerFactory?.CreateLogger(LoggerCategory) ?? standardError;
        _metrics = SocketServerMetrics.For(meterFactory);
        _throttle = new ThrottledReport(() => server.TimeProvider);
        _metrics.Register(this);
    }

    /// <summary>Where events go.</summary>
    public ILogger Logger { get; }

    /// <summary>Whether the user gave a logger factory (else events at Warning and above go to standard error).</summary>
    public bool HasLoggerFactory { get; }

    /// <summary>The default sink: the logger without a factory, and the writer of Python's error report.</summary>
    public StandardErrorLogger StandardError { get; }

    /// <summary>The instruments this server records on.</summary>
    public SocketServerMetrics Metrics => _metrics;

    /// <summary>Bytes and datagrams so far; the data paths add to it directly (see <see cref="TrafficTotals"/>).</summary>
    public TrafficTotals Traffic { get; } = new();

    /// <summary>The server's tags and formatted address, worked out again if the server was bound to a new address.</summary>
    public ServerTags Tags
    {
        get
        {
            ServerTags? tags = Volatile.Read(ref _tags);
            EndPoint address = _server.ServerAddress;
            if (tags is null || !ReferenceEquals(tags.Address, address))
            {
                tags = new ServerTags(address, SocketTypeOf(_server));
                Volatile.Write(ref _tags, tags);
            }

            return tags;
        }
    }

    /// <summary>
    /// The server's address as log lines write it (<c>tcp://127.0.0.1:80</c>; <c>tls://127.0.0.1:443</c> while TLS is
    /// on at accept, as the CLI's ready line names it): asked again each time, since TLS may be set after binding.
    /// </summary>
    public string ServerAddressText =>
        Async.PortableConnections.TlsOnAccept(_server) is null ? Tags.FormattedAddress : Tags.FormattedTlsAddress;

    /// <summary>Whether the server receives datagrams (UDP, Unix datagram) rather than connections.</summary>
    public bool IsDatagramServer => Tags.IsDatagram;

    // ---- Metrics the request path records -------------------------------------------------------------------------

    /// <summary>A connection was accepted and will be served; returns the timestamp to give <see cref="ConnectionClosed"/>.</summary>
    /// <returns>A <see cref="Stopwatch"/> timestamp.</returns>
    public long ConnectionOpened()
    {
        _metrics.ConnectionOpened(Tags.Tags);
        return Stopwatch.GetTimestamp();
    }

    /// <summary>A connection that <see cref="ConnectionOpened"/> counted was closed.</summary>
    /// <param name="startTimestamp">What <see cref="ConnectionOpened"/> returned.</param>
    /// <param name="errorType">Why it ended badly (an exception's type name, a limit's name), or null.</param>
    public void ConnectionClosed(long startTimestamp, string? errorType = null) =>
        _metrics.ConnectionClosed(Tags.Tags, Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, errorType);

    /// <summary>Bytes received on a connection (the data paths call <see cref="Traffic"/> directly).</summary>
    public void Received(int bytes) => Traffic.Received(bytes);

    /// <summary>Bytes sent on a connection.</summary>
    public void Sent(int bytes) => Traffic.Sent(bytes);

    /// <summary>A datagram of <paramref name="bytes"/> was received (counted in datagrams and in bytes).</summary>
    public void DatagramReceived(int bytes) => Traffic.DatagramReceived(bytes);

    /// <summary>A datagram of <paramref name="bytes"/> was sent (counted in datagrams and in bytes).</summary>
    public void DatagramSent(int bytes) => Traffic.DatagramSent(bytes);

    /// <summary>A request ended with <paramref name="exception"/> (whatever is then done with it).</summary>
    public void HandlerError(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        _metrics.HandlerError(Tags.Tags, exception);
    }

    /// <summary>
    /// <paramref name="count"/> datagram replies of an event loop's batch were not sent (<paramref name="errorType"/>,
    /// a <see cref="System.Net.Sockets.SocketError"/> name; <paramref name="reason"/> the system's message): counted,
    /// and logged at Debug at most every 30 s per kind.
    /// </summary>
    public void DatagramRepliesDropped(int count, string errorType, string reason)
    {
        _metrics.DatagramsDropped(Tags.Tags, count, errorType);
        if (Logger.IsEnabled(LogLevel.Debug) && _throttle.TryReport("dropped " + errorType, out string suppressed))
        {
            Log.DatagramRepliesDropped(Logger, ServerAddressText, count, reason, suppressed);
        }
    }

    /// <summary>The server stopped accepting: <see cref="SocketServerMetrics.MaxConnectionsPause"/> or <see cref="SocketServerMetrics.DescriptorsPause"/>.</summary>
    public void AcceptPaused(string reason) => _metrics.AcceptPaused(Tags.Tags, reason);

    /// <summary>A TLS handshake ended after <paramref name="duration"/>, negotiating <paramref name="protocol"/> or failing with <paramref name="errorType"/>.</summary>
    public void TlsHandshake(TimeSpan duration, SslProtocols? protocol, string? errorType) =>
        _metrics.TlsHandshake(Tags.Tags, duration.TotalSeconds, protocol, errorType);

    /// <summary>The server's <see cref="BaseServer.HealthState"/>, for the observable instrument.</summary>
    public HealthState HealthState => _server.HealthState;

    /// <summary>How many connections wait in the listen backlog (TCP on Linux), for the observable instrument.</summary>
    public long? QueuedConnections()
    {
        if (_server.IsClosed)
        {
            return null;
        }

        try
        {
            return ListenBacklog.QueuedConnections(_server.Socket);
        }
        catch (Exception e) when (SocketErrors.IsSocketLevel(e))
        {
            return null;
        }
    }

    // ---- Events of serving and accepting ---------------------------------------------------------------------------

    /// <summary>Serving started in <paramref name="mode"/> (ServeForever, ServeAsync, ...).</summary>
    public void ServingStarted(string mode) => Log.ServingStarted(Logger, ServerAddressText, mode);

    /// <summary>io_uring was asked for and is unavailable (<paramref name="reason"/>): epoll serves instead.</summary>
    public void IoUringUnavailable(string reason) => Log.IoUringUnavailable(Logger, ServerAddressText, reason);

    /// <summary>io_uring was asked for on a datagram server: epoll serves it.</summary>
    public void IoUringNotForDatagrams() => Log.IoUringNotForDatagrams(Logger, ServerAddressText);

    /// <summary>Serving stopped normally.</summary>
    public void ServingStopped() => Log.ServingStopped(Logger, ServerAddressText);

    /// <summary>A serve loop ended with <paramref name="exception"/> (logged with the whole exception).</summary>
    public void ServeLoopFailed(Exception exception) => Log.ServeLoopFailed(Logger, ServerAddressText, exception);

    /// <summary>Work on an event loop threw and nothing caught it; call it on the loop's thread (its name is the loop's).</summary>
    public void EventLoopFailed(Exception exception) => Log.EventLoopFailed(Logger, Thread.CurrentThread.Name ?? "(unnamed)", exception);

    /// <summary>Accepting failed for want of descriptors and pauses for <paramref name="delay"/>: counts the pause when it starts and logs.</summary>
    /// <param name="exception">What accept (or starting the request's thread) threw.</param>
    /// <param name="delay">How long the loop pauses.</param>
    /// <param name="failures">Failures in a row so far (1 when the pauses start).</param>
    /// <param name="log">Whether to log this one (the caller logs the first, then at most every 30 s).</param>
    public void AcceptPausedOutOfDescriptors(Exception exception, TimeSpan delay, int failures, bool log)
    {
        if (failures == 1)
        {
            AcceptPaused(SocketServerMetrics.DescriptorsPause);
        }

        if (log && Logger.IsEnabled(LogLevel.Warning))
        {
            string limit = DescriptorLimits.TryGetSoftLimit() is { } soft
                ? string.Create(CultureInfo.InvariantCulture, $"this process may open {soft} descriptors")
                : "the descriptor limit was reached";
            Log.AcceptPausedOutOfDescriptors(Logger, ServerAddressText, exception.Message, limit, (long)delay.TotalMilliseconds, failures);
        }
    }

    /// <summary>Accepting works again after <paramref name="failures"/> failures.</summary>
    public void AcceptResumed(int failures) => Log.AcceptResumed(Logger, ServerAddressText, failures);

    /// <summary>One accept failed and was skipped (not for want of descriptors).</summary>
    public void AcceptFailed(Exception exception) => Log.AcceptFailed(Logger, ServerAddressText, exception.Message);

    // ---- Events of connections and limits (the tracker's) ----------------------------------------------------------

    /// <summary>The loop stopped accepting at <see cref="ServerLimits.MaxConnections"/>: counted, and logged (Warning) at most every 30 s.</summary>
    public void AcceptPausedAtConnectionLimit(int? maxConnections)
    {
        AcceptPaused(SocketServerMetrics.MaxConnectionsPause);
        if (Logger.IsEnabled(LogLevel.Warning) && _throttle.TryReport("pause", out string suppressed))
        {
            Log.AcceptPausedAtConnectionLimit(Logger, ServerAddressText, maxConnections, suppressed);
        }
    }

    /// <summary>A new connection was closed without data because of <paramref name="limit"/>: counted, and logged at most every 30 s per limit.</summary>
    public void ConnectionRejected(EndPoint? clientAddress, string limit, string why)
    {
        _metrics.Rejected(Tags.Tags, limit);
        if (Logger.IsEnabled(LogLevel.Information) && _throttle.TryReport("reject " + limit, out string suppressed))
        {
            Log.ConnectionRejected(Logger, ServerAddressText, new ClientName(clientAddress), why, suppressed);
        }
    }

    /// <summary>
    /// A connection was refused by the PROXY protocol: counted (<c>rejected_connections</c>, <c>error.type</c>
    /// <c>proxy_protocol</c>) and logged as one line: an untrusted source (throttled), a peer that sent nothing
    /// (<paramref name="probe"/>: Debug), or a bad or late header (<paramref name="reason"/>).
    /// </summary>
    public void ProxyHeaderRefused(EndPoint? clientAddress, bool untrusted, bool probe, string? reason)
    {
        _metrics.Rejected(Tags.Tags, SocketServerMetrics.ProxyProtocolRejection);
        if (untrusted)
        {
            if (Logger.IsEnabled(LogLevel.Information) && _throttle.TryReport("proxy untrusted", out string suppressed))
            {
                Log.ProxySourceUntrusted(Logger, ServerAddressText, new ClientName(clientAddress), suppressed);
            }
        }
        else if (probe)
        {
            Log.ProxyProbe(Logger, ServerAddressText, new ClientName(clientAddress));
        }
        else
        {
            Log.ProxyHeaderRefused(Logger, ServerAddressText, new ClientName(clientAddress), reason ?? "an invalid header");
        }
    }

    /// <summary>A PROXY header was accepted: the connection from <paramref name="proxyAddress"/> goes on as <paramref name="header"/>'s client (Debug).</summary>
    public void ProxyHeaderAccepted(EndPoint? proxyAddress, ProxyHeader header)
    {
        if (Logger.IsEnabled(LogLevel.Debug))
        {
            Log.ProxyHeaderAccepted(
                Logger,
                ServerAddressText,
                new ClientName(proxyAddress),
                new ClientName(header.SourceAddress ?? proxyAddress),
                header.Version,
                header.IsLocal ? ", no client: the proxy itself, as in a LOCAL health check" : string.Empty);
        }
    }

    /// <summary>A connection was aborted for breaking <paramref name="limit"/>: counted, and logged at most every 30 s per limit.</summary>
    public void ConnectionAborted(EndPoint? clientAddress, string limit, string message)
    {
        _metrics.Aborted(Tags.Tags, limit);
        if (Logger.IsEnabled(LogLevel.Information) && _throttle.TryReport("abort " + limit, out string suppressed))
        {
            Log.ConnectionAborted(Logger, ServerAddressText, new ClientName(clientAddress), message, suppressed);
        }
    }

    /// <summary>An idle connection was closed (<paramref name="reason"/>: IdleTimeout, or Drain which is counted but not logged).</summary>
    public void IdleConnectionClosed(EndPoint? clientAddress, string reason, string why)
    {
        _metrics.ClosedIdle(Tags.Tags, reason);
        if (reason != "Drain" && Logger.IsEnabled(LogLevel.Information) && _throttle.TryReport("idle " + reason, out string suppressed))
        {
            Log.IdleConnectionClosed(Logger, ServerAddressText, new ClientName(clientAddress), why, suppressed);
        }
    }

    // ---- Request errors ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Logs <paramref name="exception"/> as one line if it is the client's doing rather than a fault of the server's,
    /// and says whether it was: a TLS handshake that failed (Information) or a probe that sent nothing (Debug), a reset
    /// (Debug), input a read helper refused (Information), a reply to an unnamed Unix datagram client (Information).
    /// No stack trace: there is no bug to find. Anything else is left to the caller (<c>HandleError</c>).
    /// </summary>
    /// <param name="clientAddress">The client.</param>
    /// <param name="exception">What ended its request.</param>
    /// <returns>Whether the exception was the client's fault (and was logged).</returns>
    public bool ReportClientFault(EndPoint? clientAddress, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        switch (exception)
        {
            case TlsHandshakeException { ClientSentNothing: true }:
                Log.TlsProbe(Logger, ServerAddressText, new ClientName(clientAddress));
                return true;
            case TlsHandshakeException handshake:
                Log.TlsHandshakeFailed(Logger, ServerAddressText, handshake.Message);
                return true;
            case InvalidDataException refused when RefusedInput.IsRefusedInput(refused):
                Log.ClientDataRefused(Logger, ServerAddressText, new ClientName(clientAddress), refused.Message);
                return true;
            case UnnamedClientException:
                Log.UnnamedDatagramClient(Logger, ServerAddressText);
                return true;
            case { } when SocketErrors.IsPeerGone(exception):
                Log.ConnectionReset(Logger, ServerAddressText, new ClientName(clientAddress), exception.Message);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// <see cref="BaseServer.HandleError"/>'s default: with a logger factory, the Error event with the exception;
    /// without one, Python's report on standard error, unchanged.
    /// </summary>
    public void RequestFailed(EndPoint? clientAddress, Exception exception)
    {
        if (HasLoggerFactory)
        {
            Log.RequestFailed(Logger, new ClientName(clientAddress), exception);
        }
        else
        {
            StandardError.WriteErrorReport(clientAddress, exception);
        }
    }

    /// <summary>An exception escaped a request's thread (<c>HandleThreadException</c>'s default); call it on that thread.</summary>
    public void ThreadException(EndPoint? clientAddress, Exception exception) =>
        Log.RequestThreadException(Logger, Thread.CurrentThread.Name ?? "(unnamed)", new ClientName(clientAddress), exception);

    // ---- Forking ------------------------------------------------------------------------------------------------------

    /// <summary>A worker died, was killed or exited abnormally (<c>HandleChildFailure</c>'s default).</summary>
    public void WorkerFailed(ChildProcessFailure failure) => Log.WorkerFailed(Logger, ServerAddressText, failure);

    /// <summary>Stops the meter's observable instruments reporting this server.</summary>
    public void Dispose() => _metrics.Unregister(this);

    private static SocketType SocketTypeOf(BaseServer server)
    {
        try
        {
            return server.Socket.SocketType;
        }
        catch (Exception e) when (e is ObjectDisposedException or NotImplementedException or NotSupportedException)
        {
            return SocketType.Stream;
        }
    }
}
