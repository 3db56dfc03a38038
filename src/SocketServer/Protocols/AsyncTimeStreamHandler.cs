namespace SocketServer.Protocols;

/// <summary>Time for <c>--mode async</c>, as <see cref="TimeStreamHandler"/>: 4 bytes, then the connection closes.</summary>
internal sealed class AsyncTimeStreamHandler : AsyncStreamRequestHandler
{
    /// <inheritdoc/>
    protected override async ValueTask HandleAsync() =>
        await Output.WriteAsync(TimeProtocol.Build(Server.TimeProvider)).ConfigureAwait(false);
}
