namespace SocketServer;

/// <summary>
/// Whether a server wants new clients, as a load balancer's health agent reports it (<see cref="BaseServer.HealthState"/>,
/// <see cref="AgentCheckServer"/>). The values are ordered: a later one is more restrictive.
/// </summary>
public enum HealthState
{
    /// <summary>Serving and taking new clients (HAProxy agent answer <c>up ready</c>).</summary>
    Up = 0,

    /// <summary>
    /// Finishing what it has, taking no new clients: set when a graceful drain (<see cref="BaseServer.ShutdownAsync"/>)
    /// starts (HAProxy agent answer <c>drain</c>: weight 0, existing connections stay).
    /// </summary>
    Drain = 1,

    /// <summary>Out of rotation on purpose, set by the operator (HAProxy agent answer <c>maint</c>).</summary>
    Maint = 2,
}
