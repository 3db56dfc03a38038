namespace SocketServer.Protocols;

/// <summary>Time for <c>--mode async</c> on datagram listeners, as <see cref="TimeDatagramHandler"/>.</summary>
internal sealed class AsyncTimeDatagramHandler : AsyncDatagramRequestHandler
{
    /// <inheritdoc/>
    protected override ValueTask HandleAsync()
    {
        Reply(TimeProtocol.Build(Server.TimeProvider));
        return default;
    }
}
