namespace SocketServer.Protocols;

/// <summary>Time for <c>--mode async</c> on datagram listeners, as <see cref="TimeDatagramHandler"/>.</summary>
internal sealed class AsyncTimeDatagramHandler : AsyncDatagramRequestHandler
{
    /// <inheritdoc/>
    /// <remarks>Stateless: one instance serves datagram after datagram on the event loops, with no allocation.</remarks>
    protected override bool Reusable => true;

    /// <inheritdoc/>
    protected override ValueTask HandleAsync()
    {
        Reply(TimeProtocol.Build(Server.TimeProvider));
        return default;
    }
}
