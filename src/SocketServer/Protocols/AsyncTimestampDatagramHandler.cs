namespace SocketServer.Protocols;

/// <summary>The timestamp protocol for <c>--mode async</c> on datagram listeners, as <see cref="TimestampDatagramHandler"/>.</summary>
internal sealed class AsyncTimestampDatagramHandler : AsyncDatagramRequestHandler
{
    /// <inheritdoc/>
    protected override ValueTask HandleAsync()
    {
        Reply(TimestampReply.Build(Packet));
        return default;
    }
}
