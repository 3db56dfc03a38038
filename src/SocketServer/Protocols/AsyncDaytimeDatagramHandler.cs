namespace SocketServer.Protocols;

/// <summary>Daytime for <c>--mode async</c> on datagram listeners, as <see cref="DaytimeDatagramHandler"/>.</summary>
internal sealed class AsyncDaytimeDatagramHandler : AsyncDatagramRequestHandler
{
    /// <inheritdoc/>
    protected override ValueTask HandleAsync()
    {
        Reply(DaytimeReply.Build(Server.TimeProvider));
        return default;
    }
}
