namespace SocketServer.Protocols;

/// <summary>Discard for <c>--mode async</c> on datagram listeners: each datagram is ignored, and nothing is sent.</summary>
internal sealed class AsyncDiscardDatagramHandler : AsyncDatagramRequestHandler
{
    /// <inheritdoc/>
    /// <remarks>Stateless: one instance serves datagram after datagram on the event loops, with no allocation.</remarks>
    protected override bool Reusable => true;

    /// <inheritdoc/>
    protected override ValueTask HandleAsync() => default;
}
