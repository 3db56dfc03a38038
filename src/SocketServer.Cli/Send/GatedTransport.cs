using SocketServer.Internal;

namespace SocketServer.Cli.Send;

/// <summary>
/// The connection beneath a <see cref="SerializedTlsStream"/>'s TLS stream: it lets go of the <see cref="TlsGate"/>
/// while the TLS stream waits on the network and takes it back before returning, so that a read waiting for the
/// server's bytes never holds up a write (nor the other way round), while the TLS work itself stays one at a time.
/// </summary>
/// <remarks>
/// Every call comes from inside an operation that holds the gate (the handshake, a read, a write, a close). The
/// synchronous calls pass through holding it: the TLS stream makes them only from synchronous operations, which
/// <see cref="SerializedTlsStream"/> does not offer.
/// </remarks>
internal sealed class GatedTransport(Stream connection, TlsGate gate) : PassThroughStream(connection, ownsInner: true)
{
    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        gate.Exit();
        try
        {
            return await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await gate.EnterAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        gate.Exit();
        try
        {
            await Inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await gate.EnterAsync().ConfigureAwait(false);
        }
    }
}
