namespace SocketServer.Protocols;

/// <summary>Echo for <c>--mode async</c> on datagram listeners: each datagram is sent back as it came.</summary>
internal sealed class AsyncEchoDatagramHandler : AsyncDatagramRequestHandler
{
    /// <inheritdoc/>
    protected override ValueTask HandleAsync()
    {
        Reply(Packet);
        return default;
    }
}
