namespace SocketServer.Cli.Send;

/// <summary>
/// The one-at-a-time gate of a <see cref="SerializedTlsStream"/>: held by whichever operation is inside the TLS
/// stream's own code, let go while it waits on the connection.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The semaphore's wait handle is never created, so it holds nothing to release; a read still unwinding after the stream's disposal must still be able to take it.")]
internal sealed class TlsGate
{
    private readonly SemaphoreSlim _semaphore = new(1, 1);

    /// <summary>Waits for the gate.</summary>
    /// <returns>A task that completes when the caller holds it.</returns>
    public Task EnterAsync() => _semaphore.WaitAsync();

    /// <summary>Waits for the gate, blocking (disposal).</summary>
    public void Enter() => _semaphore.Wait();

    /// <summary>Lets go of the gate.</summary>
    public void Exit() => _semaphore.Release();
}
