namespace SocketServer.Hosting;

/// <summary>
/// What concerns all of a host's servers at once, from the configuration section <c>SocketServer</c> beside
/// <c>Servers</c>: the HAProxy agent check. Validated when the host starts, as the servers' options are.
/// </summary>
public sealed class SocketServerHostOptions
{
    /// <summary>The configuration section read: <c>SocketServer</c>.</summary>
    public const string Section = "SocketServer";

    /// <summary>
    /// Where an <see cref="AgentCheckServer"/> answers HAProxy's <c>agent-check</c> for every server of the host:
    /// <c>tcp://HOST:PORT</c> (or <c>HOST:PORT</c>), as the endpoints are written. It answers <c>up ready</c> while they
    /// serve, <c>drain</c> once the host's stop begins draining them (<see cref="BaseServer.HealthState"/>), and
    /// <c>maint</c> when the application set that state; it starts with the servers and closes after their drain.
    /// <see langword="null"/> (the default) for none. Configuration key: <c>SocketServer:AgentCheck</c>.
    /// </summary>
    /// <remarks><see cref="HostedSocketServers.AgentCheck"/> is the running agent, whose state may be set to take the whole host out of rotation.</remarks>
    public string? AgentCheck { get; set; }

    /// <summary>
    /// How long, when the host stops, every server says <see cref="HealthState.Drain"/> (to the agent check, and in the
    /// <c>socketserver.health.status</c> gauge) while it still accepts, before the drain begins: the time a load
    /// balancer needs to see it and send new clients elsewhere (more than HAProxy's <c>agent-inter</c>), as the CLI's
    /// <c>--drain-delay</c>. Taken out of the host's shutdown timeout; ended early if that runs out. Zero (the default)
    /// drains at once. Configuration key: <c>SocketServer:DrainDelay</c>, as hh:mm:ss (<c>"00:00:02"</c>).
    /// </summary>
    public TimeSpan DrainDelay { get; set; }

    /// <summary>What the configuration held that could not be read, one message each, reported by the validator.</summary>
    internal List<string> ConfigurationErrors { get; } = [];
}
