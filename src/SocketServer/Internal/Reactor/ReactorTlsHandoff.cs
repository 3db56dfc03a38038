using SocketServer.Internal.Async;
using SocketServer.Internal.Reactor;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// One STARTTLS move of a reactor connection off its loop, posted to the loop (the connection's state is the loop
/// thread's): <see cref="Moved"/> completes with the portable connection the socket went to, or fails when the
/// connection ended or the server stopped first.
/// </summary>
internal sealed class ReactorTlsHandoff(ServerStreamConnection connection) : IReactorWork
{
    // Asynchronous continuations: the handler goes on to the handshake on the thread pool, never on the loop.
    private readonly TaskCompletionSource<PortableConnection> _moved = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the connection the handler carries on with.</summary>
    public Task<PortableConnection> Moved => _moved.Task;

    /// <inheritdoc/>
    public void Execute() => connection.BeginHandoff(this);

    /// <summary>The socket now belongs to <paramref name="portable"/>.</summary>
    public void Complete(PortableConnection portable) => _moved.TrySetResult(portable);

    /// <summary>The move did not happen: the connection stays on its loop, which closes it when the handler ends.</summary>
    public void Fail(Exception error) => _moved.TrySetException(error);
}
