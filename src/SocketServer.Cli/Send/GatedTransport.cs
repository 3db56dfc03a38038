namespace SocketServer.Cli.Send;

/// <summary>
/// The connection beneath a <see cref="SerializedTlsStream"/>'s TLS stream: it lets go of the <see cref="TlsGate"/>
/// while the TLS stream waits on the network and takes it back before returning, so that a read waiting for the
/// server's bytes never holds up a write (nor the other way round), while the TLS work itself stays one at a time.
/// </summary>
/// <remarks>Every call comes from inside an operation that holds the gate (the handshake, a read, a write, a close).</remarks>
internal sealed class GatedTransport(Stream connection, TlsGate gate) : Stream
{
    /// <inheritdoc/>
    public override bool CanRead => connection.CanRead;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => connection.CanWrite;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        gate.Exit();
        try
        {
            return await connection.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
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
            await connection.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await gate.EnterAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    /// <remarks>Synchronous calls never wait with the gate let go: the TLS stream makes them only from synchronous operations, which this tool does not use.</remarks>
    public override int Read(byte[] buffer, int offset, int count) => connection.Read(buffer, offset, count);

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => connection.Write(buffer, offset, count);

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => connection.FlushAsync(cancellationToken);

    /// <inheritdoc/>
    public override void Flush() => connection.Flush();

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            connection.Dispose();
        }

        base.Dispose(disposing);
    }
}
