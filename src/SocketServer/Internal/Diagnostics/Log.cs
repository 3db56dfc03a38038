using Microsoft.Extensions.Logging;

namespace SocketServer.Internal.Diagnostics;

/// <summary>
/// Every event the library logs, with its stable id: 1–99 serving and accepting, 100–199 connections and limits,
/// 200–299 request errors, 300–399 TLS, 400–499 forking, 500–519 the PROXY protocol. Ids are an interface (log filters and alerts name them):
/// never renumber one, only add.
/// </summary>
/// <remarks>
/// Levels follow whose fault an event is: what a client does to itself (a reset, a probe) is Debug; a client's
/// misbehaviour and a connection a limit ended are Information, one line, no stack trace; a server that stops
/// accepting is Warning; a handler's failure is Error; the library's own loops failing is Error or Critical, with the
/// whole exception (<see cref="PrintsFullException"/>).
/// </remarks>
internal static partial class Log
{
    /// <summary>Serving started (Debug): nothing a person must read, so the CLI's standard error stays quiet.</summary>
    [LoggerMessage(EventId = 1, EventName = "ServingStarted", Level = LogLevel.Debug, Message = "{ServerAddress}: serving ({Mode}).")]
    public static partial void ServingStarted(ILogger logger, string serverAddress, string mode);

    /// <summary>Serving stopped normally (Debug).</summary>
    [LoggerMessage(EventId = 2, EventName = "ServingStopped", Level = LogLevel.Debug, Message = "{ServerAddress}: serving stopped.")]
    public static partial void ServingStopped(ILogger logger, string serverAddress);

    /// <summary>A serve loop ended with an exception (Error; the whole exception, as it is the library's or a hook's bug).</summary>
    [LoggerMessage(EventId = 3, EventName = "ServeLoopFailed", Level = LogLevel.Error, Message = "{ServerAddress}: serving ended with an exception.")]
    public static partial void ServeLoopFailed(ILogger logger, string serverAddress, Exception exception);

    /// <summary>Work on an event loop threw and nothing caught it (Critical; the whole exception).</summary>
    [LoggerMessage(EventId = 4, EventName = "EventLoopFailed", Level = LogLevel.Critical, Message = "Unhandled exception on event loop {LoopName}.")]
    public static partial void EventLoopFailed(ILogger logger, string loopName, Exception exception);

    /// <summary>Accepting stopped at <see cref="ServerLimits.MaxConnections"/> (Warning, throttled).</summary>
    [LoggerMessage(EventId = 10, EventName = "AcceptPausedAtConnectionLimit", Level = LogLevel.Warning, Message = "{ServerAddress}: ServerLimits.MaxConnections ({MaxConnections}) connections are open; new connections wait in the listen backlog until one ends.{Suppressed}")]
    public static partial void AcceptPausedAtConnectionLimit(ILogger logger, string serverAddress, int? maxConnections, string suppressed);

    /// <summary>Accepting failed for want of descriptors and pauses (Warning; the caller throttles).</summary>
    [LoggerMessage(EventId = 11, EventName = "AcceptPausedOutOfDescriptors", Level = LogLevel.Warning, Message = "{ServerAddress}: accepting failed: {Reason} ({DescriptorLimit}); pausing {DelayMilliseconds} ms, up to 1 s, while existing requests go on ({Failures} failures so far).")]
    public static partial void AcceptPausedOutOfDescriptors(ILogger logger, string serverAddress, string reason, string descriptorLimit, long delayMilliseconds, int failures);

    /// <summary>Accepting works again after pauses (Information).</summary>
    [LoggerMessage(EventId = 12, EventName = "AcceptResumed", Level = LogLevel.Information, Message = "{ServerAddress}: accepting again after {Failures} failures.")]
    public static partial void AcceptResumed(ILogger logger, string serverAddress, int failures);

    /// <summary>One accept failed and was skipped, as Python skips it (Debug: a client that reset before it was accepted).</summary>
    [LoggerMessage(EventId = 13, EventName = "AcceptFailed", Level = LogLevel.Debug, Message = "{ServerAddress}: an accept failed and was skipped: {Reason}")]
    public static partial void AcceptFailed(ILogger logger, string serverAddress, string reason);

    /// <summary>A new connection was closed without data because of a limit or a drain (Information, throttled).</summary>
    [LoggerMessage(EventId = 100, EventName = "ConnectionRejected", Level = LogLevel.Information, Message = "{ServerAddress}: closed a new connection from {ClientAddress} without data: {Reason}.{Suppressed}")]
    public static partial void ConnectionRejected(ILogger logger, string serverAddress, ClientName clientAddress, string reason, string suppressed);

    /// <summary>A connection broke a limit and was aborted (Information, throttled).</summary>
    [LoggerMessage(EventId = 101, EventName = "ConnectionAborted", Level = LogLevel.Information, Message = "{ServerAddress}: aborted the connection from {ClientAddress}: {Reason}{Suppressed}")]
    public static partial void ConnectionAborted(ILogger logger, string serverAddress, ClientName clientAddress, string reason, string suppressed);

    /// <summary>An idle connection was closed by <see cref="ServerLimits.IdleTimeout"/> (Information, throttled).</summary>
    [LoggerMessage(EventId = 102, EventName = "IdleConnectionClosed", Level = LogLevel.Information, Message = "{ServerAddress}: closed the idle connection from {ClientAddress}: {Reason}.{Suppressed}")]
    public static partial void IdleConnectionClosed(ILogger logger, string serverAddress, ClientName clientAddress, string reason, string suppressed);

    /// <summary>The client reset or aborted its connection (Debug: the end of a conversation, not a fault of the server's).</summary>
    [LoggerMessage(EventId = 103, EventName = "ConnectionReset", Level = LogLevel.Debug, Message = "{ServerAddress}: the connection from {ClientAddress} was reset: {Reason}")]
    public static partial void ConnectionReset(ILogger logger, string serverAddress, ClientName clientAddress, string reason);

    /// <summary>The client sent input a read helper refuses: a line or frame over its limit, a frame cut short (Information, one line).</summary>
    [LoggerMessage(EventId = 104, EventName = "ClientDataRefused", Level = LogLevel.Information, Message = "{ServerAddress}: closed the connection from {ClientAddress}: {Reason}")]
    public static partial void ClientDataRefused(ILogger logger, string serverAddress, ClientName clientAddress, string reason);

    /// <summary>A Unix datagram client without a bound name cannot be answered (Information, one line).</summary>
    [LoggerMessage(EventId = 105, EventName = "UnnamedDatagramClient", Level = LogLevel.Information, Message = "{ServerAddress}: dropped the reply to a Unix datagram client without a bound name; a client that wants replies must bind its socket to a path.")]
    public static partial void UnnamedDatagramClient(ILogger logger, string serverAddress);

    /// <summary>
    /// Replies queued on an event loop's datagram batch that the socket did not take (EAGAIN: its send buffer was full;
    /// or another error), dropped as the network may drop a datagram (Debug, throttled; the metric counts each).
    /// </summary>
    [LoggerMessage(EventId = 820, EventName = "DatagramRepliesDropped", Level = LogLevel.Debug, Message = "{ServerAddress}: dropped {Count} datagram replies the socket did not take: {Reason}.{Suppressed}")]
    public static partial void DatagramRepliesDropped(ILogger logger, string serverAddress, int count, string reason, string suppressed);

    /// <summary>A request failed: <see cref="BaseServer.HandleError"/>'s default with a logger factory (Error, with the exception).</summary>
    [LoggerMessage(EventId = 200, EventName = "RequestFailed", Level = LogLevel.Error, Message = "Exception occurred during processing of request from {ClientAddress}")]
    public static partial void RequestFailed(ILogger logger, ClientName clientAddress, Exception exception);

    /// <summary>An exception escaped a request thread: <c>HandleThreadException</c>'s default (Error; the whole exception, Python's excepthook prints it).</summary>
    [LoggerMessage(EventId = 201, EventName = "RequestThreadException", Level = LogLevel.Error, Message = "Exception in request thread {ThreadName} (client {ClientAddress}):")]
    public static partial void RequestThreadException(ILogger logger, string threadName, ClientName clientAddress, Exception exception);

    /// <summary>A TLS handshake failed or timed out: the client's fault (Information, one line naming it and the cause).</summary>
    [LoggerMessage(EventId = 300, EventName = "TlsHandshakeFailed", Level = LogLevel.Information, Message = "{ServerAddress}: {Reason}")]
    public static partial void TlsHandshakeFailed(ILogger logger, string serverAddress, string reason);

    /// <summary>A client connected to a TLS listener and closed without sending a byte: a port probe or health check (Debug).</summary>
    [LoggerMessage(EventId = 301, EventName = "TlsProbe", Level = LogLevel.Debug, Message = "{ServerAddress}: {ClientAddress} closed the connection without starting a TLS handshake.")]
    public static partial void TlsProbe(ILogger logger, string serverAddress, ClientName clientAddress);

    /// <summary>A forking server's worker died, was killed or exited abnormally (Warning): <c>HandleChildFailure</c>'s default.</summary>
    [LoggerMessage(EventId = 400, EventName = "WorkerFailed", Level = LogLevel.Warning, Message = "{ServerAddress}: {Failure}")]
    public static partial void WorkerFailed(ILogger logger, string serverAddress, ChildProcessFailure failure);

    /// <summary>A trusted proxy's PROXY protocol header was malformed, cut short or late: the connection was closed before any hook saw it (Information).</summary>
    [LoggerMessage(EventId = 500, EventName = "ProxyHeaderRefused", Level = LogLevel.Information, Message = "{ServerAddress}: closed the connection from {ClientAddress} before serving it: {Reason} (PROXY protocol).")]
    public static partial void ProxyHeaderRefused(ILogger logger, string serverAddress, ClientName clientAddress, string reason);

    /// <summary>A connection came from outside the trusted proxies of a PROXY protocol listener and was closed unread (Information, throttled).</summary>
    [LoggerMessage(EventId = 501, EventName = "ProxySourceUntrusted", Level = LogLevel.Information, Message = "{ServerAddress}: closed a connection from {ClientAddress} without reading it: not a trusted proxy (ProxyProtocolOptions.TrustedNetworks, or TrustUnixPeers for a Unix socket).{Suppressed}")]
    public static partial void ProxySourceUntrusted(ILogger logger, string serverAddress, ClientName clientAddress, string suppressed);

    /// <summary>A trusted proxy connected and closed without sending a byte: a port probe (Debug).</summary>
    [LoggerMessage(EventId = 502, EventName = "ProxyProbe", Level = LogLevel.Debug, Message = "{ServerAddress}: {ClientAddress} closed the connection without sending a PROXY protocol header.")]
    public static partial void ProxyProbe(ILogger logger, string serverAddress, ClientName clientAddress);

    /// <summary>
    /// A trusted proxy's header was valid: the connection is served as the client it names (Debug, one per connection, so
    /// that a deployment can be checked: the proxy's address and port next to the original client's).
    /// </summary>
    [LoggerMessage(EventId = 503, EventName = "ProxyHeaderAccepted", Level = LogLevel.Debug, Message = "{ServerAddress}: the connection from {ProxyAddress} is the client {ClientAddress} (PROXY protocol v{Version}{Local}).")]
    public static partial void ProxyHeaderAccepted(ILogger logger, string serverAddress, ClientName proxyAddress, ClientName clientAddress, int version, string local);

    /// <summary>
    /// <see cref="AsyncTransport.IoUring"/> was asked for and this process cannot use it (Warning, once per
    /// <c>ServeAsync</c>): the epoll reactor serves instead; the reason names what is missing or forbidden.
    /// </summary>
    [LoggerMessage(EventId = 700, EventName = "IoUringUnavailable", Level = LogLevel.Warning, Message = "{ServerAddress}: serving on epoll instead of io_uring: {Reason}.")]
    public static partial void IoUringUnavailable(ILogger logger, string serverAddress, string reason);

    /// <summary>
    /// <see cref="AsyncTransport.IoUring"/> was asked for on a datagram server, which the epoll reactor serves
    /// (Information: by design, the io_uring transport is for streams).
    /// </summary>
    [LoggerMessage(EventId = 701, EventName = "IoUringNotForDatagrams", Level = LogLevel.Information, Message = "{ServerAddress}: serving on epoll: the io_uring transport serves stream sockets; datagram servers use the epoll reactor.")]
    public static partial void IoUringNotForDatagrams(ILogger logger, string serverAddress);

    /// <summary>
    /// Whether the default standard-error sink prints the whole exception of event <paramref name="id"/> rather than
    /// its type and message: the loops' crashes and an exception escaping a request thread, which are bugs to fix
    /// (in the library or a hook), not conditions to read past.
    /// </summary>
    public static bool PrintsFullException(EventId id) => id.Id is 3 or 4 or 201;
}
