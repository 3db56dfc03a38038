using System.Net;
using SocketServer.Internal.Health;

namespace SocketServer;

/// <summary>
/// Answers HAProxy's <c>agent-check</c> with the health of some servers: each connection gets one line, <c>up ready</c>,
/// <c>drain</c> or <c>maint</c>, and is closed. Serve it on a port of its own beside the servers it reports on.
/// </summary>
/// <remarks>
/// <para>
/// The state reported is the most restrictive (<see cref="HealthState"/> order) of this server's own
/// <see cref="BaseServer.HealthState"/> and that of every server in <see cref="Servers"/>: a drain started on any of them
/// (<see cref="BaseServer.ShutdownAsync"/>) answers <c>drain</c>, and setting <see cref="HealthState.Maint"/> here takes
/// the whole process out of rotation. <c>ready</c> is HAProxy's word that ends an administrative drain or maintenance,
/// so a restarted instance comes back by itself; it also ends one set through HAProxy's runtime API, so drive the state
/// from here rather than from there (docs/deploy.md).
/// </para>
/// <para>
/// It is a synchronous <see cref="TcpServer"/> on the one request path: the handler writes a few bytes and never reads,
/// so no client can hold it. Anything HAProxy sends (<c>agent-send</c>) is ignored.
/// </para>
/// </remarks>
public class AgentCheckServer : TcpServer
{
    /// <summary>Creates the agent and, by default, binds and starts listening.</summary>
    /// <param name="serverAddress">The agent's own address (HAProxy's <c>agent-addr</c> and <c>agent-port</c>).</param>
    /// <param name="servers">The servers whose state it reports.</param>
    /// <param name="bindAndActivate">Whether to bind now; construct unbound to <see cref="TcpServer.AdoptSocket"/> a systemd socket.</param>
    /// <exception cref="ServerBindException">The address could not be bound.</exception>
    public AgentCheckServer(EndPoint serverAddress, IEnumerable<BaseServer> servers, bool bindAndActivate = true)
        : base(serverAddress, static () => new AgentCheckHandler(), bindAndActivate)
    {
        ArgumentNullException.ThrowIfNull(servers);
        Servers = [.. servers];
    }

    /// <summary>The servers whose <see cref="BaseServer.HealthState"/> is reported.</summary>
    public IReadOnlyList<BaseServer> Servers { get; }

    /// <summary>The state answered now: the most restrictive of this server's and <see cref="Servers"/>'.</summary>
    public virtual HealthState ReportedState
    {
        get
        {
            HealthState state = HealthState;
            foreach (BaseServer server in Servers)
            {
                if (server.HealthState > state)
                {
                    state = server.HealthState;
                }
            }

            return state;
        }
    }

    /// <summary>The line answered for <paramref name="state"/>, newline included.</summary>
    /// <param name="state">The state to report.</param>
    /// <returns><c>up ready</c>, <c>drain</c> or <c>maint</c>, and a newline.</returns>
    internal static string AgentReply(HealthState state) => state switch
    {
        HealthState.Drain => "drain\n",
        HealthState.Maint => "maint\n",
        _ => "up ready\n",
    };
}
