using System.Buffers;

namespace SocketServer.Protocols;

/// <summary>
/// The timestamp protocol for <c>--mode async</c>, as <see cref="TimestampStreamHandler"/>: one line in, the same
/// line back prefixed with the server's local time, then the connection closes.
/// </summary>
internal sealed class AsyncTimestampStreamHandler : AsyncStreamRequestHandler
{
    /// <inheritdoc/>
    protected override async ValueTask HandleAsync()
    {
        ReadOnlySequence<byte>? line = await ReadLineAsync().ConfigureAwait(false);
        byte[] reply = TimestampReply.Build(line is { } bytes ? bytes.ToArray() : []);
        await Output.WriteAsync(reply).ConfigureAwait(false);
    }
}
