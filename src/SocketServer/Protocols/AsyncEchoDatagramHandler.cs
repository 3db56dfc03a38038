namespace SocketServer.Protocols;

/// <summary>Echo for <c>--mode async</c> on datagram listeners: each datagram is sent back as it came.</summary>
internal sealed class AsyncEchoDatagramHandler : AsyncDatagramRequestHandler
{
    /// <inheritdoc/>
    /// <remarks>Stateless: one instance serves datagram after datagram on the event loops, with no allocation.</remarks>
    protected override bool Reusable => true;

    /// <inheritdoc/>
    protected override ValueTask HandleAsync()
    {
        Reply(Data.Span);
        return default;
    }
}
