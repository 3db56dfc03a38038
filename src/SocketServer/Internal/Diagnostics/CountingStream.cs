using System.Runtime.CompilerServices;

namespace SocketServer.Internal.Diagnostics;

/// <summary>
/// Passes reads and writes through to a connection's stream and adds what moved to the server's
/// <see cref="TrafficTotals"/>: put under the pipes of the portable transport and of async handlers on a request
/// thread. An operation that completes at once costs nothing more; one that waits uses a pooled state machine, so
/// neither allocates per call. It never owns the stream.
/// </summary>
internal sealed class CountingStream : Stream
{
    private readonly Stream _inner;
    private readonly TrafficTotals _traffic;

    /// <summary>Counts what moves through <paramref name="inner"/> into <paramref name="traffic"/>.</summary>
    public CountingStream(Stream inner, TrafficTotals traffic)
    {
        _inner = inner;
        _traffic = traffic;
    }

    /// <inheritdoc/>
    public override bool CanRead => _inner.CanRead;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => _inner.CanWrite;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Wraps <paramref name="stream"/> when there are totals to count into; else returns it as it is.</summary>
    public static Stream Over(Stream stream, TrafficTotals? traffic) => traffic is null ? stream : new CountingStream(stream, traffic);

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        int read = _inner.Read(buffer);
        _traffic.Received(read);
        return read;
    }

    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ValueTask<int> read = _inner.ReadAsync(buffer, cancellationToken);
        if (read.IsCompletedSuccessfully)
        {
            int count = read.Result;
            _traffic.Received(count);
            return new ValueTask<int>(count);
        }

        return AwaitRead(read);
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _inner.Write(buffer);
        _traffic.Sent(buffer.Length);
    }

    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ValueTask write = _inner.WriteAsync(buffer, cancellationToken);
        if (write.IsCompletedSuccessfully)
        {
            // Observed, so that a pooled source behind it is released.
            write.GetAwaiter().GetResult();
            _traffic.Sent(buffer.Length);
            return ValueTask.CompletedTask;
        }

        return AwaitWrite(write, buffer.Length);
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override void Flush() => _inner.Flush();

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> AwaitRead(ValueTask<int> pending)
    {
        int count = await pending.ConfigureAwait(false);
        _traffic.Received(count);
        return count;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitWrite(ValueTask pending, int length)
    {
        await pending.ConfigureAwait(false);
        _traffic.Sent(length);
    }
}
