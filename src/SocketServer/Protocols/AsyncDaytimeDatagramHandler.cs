namespace SocketServer.Protocols;

/// <summary>Daytime for <c>--mode async</c> on datagram listeners, as <see cref="DaytimeDatagramHandler"/>.</summary>
internal sealed class AsyncDaytimeDatagramHandler : AsyncDatagramRequestHandler
{
    /// <inheritdoc/>
    /// <remarks>Stateless: one instance serves datagram after datagram on the event loops, with no allocation.</remarks>
    protected override bool Reusable => true;

    /// <inheritdoc/>
    protected override ValueTask HandleAsync()
    {
        Reply(DaytimeReply.Build(Server.TimeProvider));
        return default;
    }
}
