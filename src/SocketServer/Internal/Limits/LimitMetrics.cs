using System.Diagnostics.Metrics;

namespace SocketServer.Internal.Limits;

/// <summary>
/// The counters of the <c>SocketServer</c> meter (System.Diagnostics.Metrics), each tagged with the limit as
/// <c>limit</c>: connections rejected, aborted, closed as idle, and how often the serve loop stopped accepting.
/// </summary>
internal static class LimitMetrics
{
    /// <summary>The meter's name, for <c>dotnet-counters</c> or an OpenTelemetry subscription.</summary>
    public const string MeterName = "SocketServer";

    private static readonly Meter s_meter = new(MeterName);

    /// <summary>Connections closed at accept without data (per-client cap, or a drain in progress).</summary>
    public static readonly Counter<long> Rejected = s_meter.CreateCounter<long>("socketserver.connections.rejected", "{connection}", "Connections closed at accept without data because of a limit.");

    /// <summary>Connections aborted by a deadline, a rate, the line length or the end of a drain's grace period.</summary>
    public static readonly Counter<long> Aborted = s_meter.CreateCounter<long>("socketserver.connections.aborted", "{connection}", "Connections aborted because they broke a limit.");

    /// <summary>Connections closed because they were idle (idle timeout, or a drain).</summary>
    public static readonly Counter<long> ClosedIdle = s_meter.CreateCounter<long>("socketserver.connections.idle_closed", "{connection}", "Idle connections closed by the server.");

    /// <summary>Times the serve loop stopped accepting because <c>MaxConnections</c> was reached.</summary>
    public static readonly Counter<long> AcceptPaused = s_meter.CreateCounter<long>("socketserver.accept.paused", "{pause}", "Times accepting stopped at the connection limit.");

    public static void Add(Counter<long> counter, string limit) =>
        counter.Add(1, new KeyValuePair<string, object?>("limit", limit));
}
