namespace SocketServer.Protocols;

/// <summary>Chargen for <c>--mode async</c> on datagram listeners, as <see cref="ChargenDatagramHandler"/>: 0 to 512 bytes of the pattern.</summary>
internal sealed class AsyncChargenDatagramHandler : AsyncDatagramRequestHandler
{
    /// <inheritdoc/>
    /// <remarks>Stateless: one instance serves datagram after datagram on the event loops, with no allocation.</remarks>
    protected override bool Reusable => true;

    /// <inheritdoc/>
    protected override ValueTask HandleAsync()
    {
        Reply(ChargenPattern.Prefix(ChargenPattern.RandomDatagramLength()));
        return default;
    }
}
