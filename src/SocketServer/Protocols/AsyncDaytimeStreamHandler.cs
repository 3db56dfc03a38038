namespace SocketServer.Protocols;

/// <summary>Daytime for <c>--mode async</c>, as <see cref="DaytimeStreamHandler"/>: the local time in one line, then the connection closes.</summary>
internal sealed class AsyncDaytimeStreamHandler : AsyncStreamRequestHandler
{
    /// <inheritdoc/>
    protected override async ValueTask HandleAsync() =>
        await Output.WriteAsync(DaytimeReply.Build(Server.TimeProvider)).ConfigureAwait(false);
}
