namespace SocketServer.Protocols;

/// <summary>Discard for <c>--mode async</c> on datagram listeners: each datagram is ignored, and nothing is sent.</summary>
internal sealed class AsyncDiscardDatagramHandler : AsyncDatagramRequestHandler
{
    /// <inheritdoc/>
    protected override ValueTask HandleAsync() => default;
}
