namespace SocketServer.Protocols;

/// <summary>The timestamp protocol for <c>--mode async</c> on datagram listeners, as <see cref="TimestampDatagramHandler"/>.</summary>
internal sealed class AsyncTimestampDatagramHandler : AsyncDatagramRequestHandler
{
    /// <inheritdoc/>
    /// <remarks>Stateless: one instance serves datagram after datagram on the event loops, with no allocation.</remarks>
    protected override bool Reusable => true;

    /// <inheritdoc/>
    protected override ValueTask HandleAsync()
    {
        Reply(TimestampReply.Build(Data.Span));
        return default;
    }
}
