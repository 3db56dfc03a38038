namespace SocketServer;

/// <summary>What a graceful drain (<see cref="BaseServer.ShutdownAsync"/>) did with the connections it found.</summary>
public sealed class DrainResult
{
    internal DrainResult(int completed, int closedIdle, int aborted, TimeSpan elapsed)
    {
        Completed = completed;
        ClosedIdle = closedIdle;
        Aborted = aborted;
        Elapsed = elapsed;
    }

    /// <summary>Requests that were in progress when the drain began and finished by themselves within the grace period.</summary>
    public int Completed { get; }

    /// <summary>Connections closed because their handler was waiting for a new line or read (idle).</summary>
    public int ClosedIdle { get; }

    /// <summary>Requests still running when the grace period ended (or the token was cancelled): their connections were aborted.</summary>
    public int Aborted { get; }

    /// <summary>How long the drain took, on the server's <see cref="BaseServer.TimeProvider"/>.</summary>
    public TimeSpan Elapsed { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Completed} completed, {ClosedIdle} closed idle, {Aborted} aborted");
}
