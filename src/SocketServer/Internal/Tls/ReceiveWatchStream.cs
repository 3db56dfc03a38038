using System.Runtime.CompilerServices;

namespace SocketServer.Internal.Tls;

/// <summary>
/// The stream under a server's <see cref="System.Net.Security.SslStream"/>, passing everything through and noting
/// whether the client sent any byte: a handshake that failed before the first byte was a probe (a port scan, a
/// load balancer's health check), which is logged more quietly than a client that tried and failed. It owns the
/// stream it wraps, as the TLS stream owns it.
/// </summary>
/// <param name="inner">The stream watched, disposed with this one.</param>
internal sealed class ReceiveWatchStream(Stream inner) : PassThroughStream(inner, ownsInner: true)
{
    private volatile bool _received;

    /// <summary>Whether any byte came from the client.</summary>
    public bool Received => _received;

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer) => Note(Inner.Read(buffer));

    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_received)
        {
            // After the first byte there is nothing left to note: no state machine at all.
            return Inner.ReadAsync(buffer, cancellationToken);
        }

        ValueTask<int> read = Inner.ReadAsync(buffer, cancellationToken);
        return read.IsCompletedSuccessfully ? new ValueTask<int>(Note(read.Result)) : AwaitRead(read);
    }

    private int Note(int read)
    {
        if (read > 0)
        {
            _received = true;
        }

        return read;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> AwaitRead(ValueTask<int> pending) => Note(await pending.ConfigureAwait(false));
}
