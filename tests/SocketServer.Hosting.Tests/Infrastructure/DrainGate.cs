namespace SocketServer.Hosting.Tests.Infrastructure;

/// <summary>A singleton the drain tests hold a request at: the handler says it entered, then waits to be released.</summary>
internal sealed class DrainGate
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Entered => _entered.Task;

    public Task Released => _released.Task;

    public void Enter() => _entered.TrySetResult();

    public void Release() => _released.TrySetResult();
}
