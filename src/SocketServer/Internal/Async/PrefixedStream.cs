namespace SocketServer.Internal.Async;

/// <summary>
/// A stream that reads a prefix (bytes already received) first, then its inner stream; writes go straight to the inner stream.
/// STARTTLS hands it to the TLS handshake when the client's first TLS bytes were already read off the socket (into a
/// pipe's buffer) before the upgrade began, so that the handshake still sees them.
/// </summary>
internal sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream inner) : PassThroughStream(inner, ownsInner: true)
{
    private ReadOnlyMemory<byte> _prefix = prefix;

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer) =>
        _prefix.IsEmpty ? Inner.Read(buffer) : TakePrefix(buffer);

    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _prefix.IsEmpty ? Inner.ReadAsync(buffer, cancellationToken) : ValueTask.FromResult(TakePrefix(buffer.Span));

    /// <summary>
    /// Copies from the prefix. A zero-byte read (SslStream waits so for data without holding a buffer) returns at
    /// once while some is left: data is available, the inner stream must not be waited on.
    /// </summary>
    private int TakePrefix(Span<byte> buffer)
    {
        int taken = Math.Min(buffer.Length, _prefix.Length);
        _prefix.Span[..taken].CopyTo(buffer);
        _prefix = _prefix[taken..];
        return taken;
    }
}
