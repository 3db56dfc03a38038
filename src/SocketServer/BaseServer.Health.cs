namespace SocketServer;

/// <summary>The server's health state, which a load balancer's agent check reads.</summary>
public abstract partial class BaseServer
{
    private int _healthState;

    /// <summary>
    /// Whether the server wants new clients: <see cref="HealthState.Up"/> at first, <see cref="HealthState.Drain"/> once
    /// <see cref="ShutdownAsync"/> starts (unless it is <see cref="HealthState.Maint"/>), or what the application set.
    /// </summary>
    /// <remarks>
    /// It changes nothing in how the server serves: it is what an <see cref="AgentCheckServer"/> tells HAProxy, and the
    /// <c>socketserver.health.status</c> instrument reports, so that a load balancer stops sending new connections
    /// before the server stops accepting them. Set <see cref="HealthState.Maint"/> to take the server out of rotation
    /// by hand, <see cref="HealthState.Up"/> to put it back. Safe to read and set from any thread.
    /// </remarks>
    public HealthState HealthState
    {
        get => (HealthState)Volatile.Read(ref _healthState);
        set
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Not a HealthState.");
            }

            Volatile.Write(ref _healthState, (int)value);
        }
    }

    /// <summary>A drain starts: <see cref="HealthState.Up"/> becomes <see cref="HealthState.Drain"/>; maintenance stays.</summary>
    private void EnterDrainState() =>
        Interlocked.CompareExchange(ref _healthState, (int)HealthState.Drain, (int)HealthState.Up);
}
