using Microsoft.Extensions.Logging;

namespace SocketServer.Hosting.Internal;

/// <summary>
/// The hosting layer's own events, category <c>SocketServer.Hosting</c>, with stable ids (the servers' own events are
/// the library's, category <c>SocketServer</c>).
/// </summary>
internal static partial class HostingLog
{
    /// <summary>The category of these events.</summary>
    public const string Category = "SocketServer.Hosting";

    [LoggerMessage(EventId = 1, EventName = "Listening", Level = LogLevel.Information, Message = "Server {Server} listening on {Address} ({Mode})")]
    public static partial void Listening(this ILogger logger, string server, string address, string mode);

    [LoggerMessage(EventId = 2, EventName = "Drained", Level = LogLevel.Information,
        Message = "Server {Server} on {Address} stopped: {Completed} completed, {ClosedIdle} closed idle, {Aborted} aborted in {ElapsedSeconds:0.###} s")]
    public static partial void Drained(this ILogger logger, string server, string address, int completed, int closedIdle, int aborted, double elapsedSeconds);

    [LoggerMessage(EventId = 3, EventName = "ServeFailed", Level = LogLevel.Critical, Message = "Server {Server} on {Address} stopped serving; stopping the application")]
    public static partial void ServeFailed(this ILogger logger, string server, string address, Exception exception);

    [LoggerMessage(EventId = 4, EventName = "ScopeDisposeFailed", Level = LogLevel.Error, Message = "Server {Server}: disposing a request's service scope failed")]
    public static partial void ScopeDisposeFailed(this ILogger logger, string server, Exception exception);

    [LoggerMessage(EventId = 5, EventName = "UnusedSection", Level = LogLevel.Warning, Message = "The configuration key {Key} is not used: {Reason}")]
    public static partial void UnusedSection(this ILogger logger, string key, string reason);

    [LoggerMessage(EventId = 6, EventName = "CloseFailed", Level = LogLevel.Error, Message = "Server {Server} on {Address}: closing failed")]
    public static partial void CloseFailed(this ILogger logger, string server, string address, Exception exception);

    [LoggerMessage(EventId = 7, EventName = "AgentCheckListening", Level = LogLevel.Information, Message = "Agent check listening on {Address} for {Count} endpoints")]
    public static partial void AgentCheckListening(this ILogger logger, string address, int count);

    [LoggerMessage(EventId = 8, EventName = "AgentCheckFailed", Level = LogLevel.Error, Message = "The agent check on {Address} stopped answering; the servers go on")]
    public static partial void AgentCheckFailed(this ILogger logger, string address, Exception exception);

    [LoggerMessage(EventId = 9, EventName = "DrainAnnounced", Level = LogLevel.Information, Message = "Stopping: the servers say drain and go on accepting for {Seconds} s (SocketServer:DrainDelay) before draining")]
    public static partial void DrainAnnounced(this ILogger logger, double seconds);
}
