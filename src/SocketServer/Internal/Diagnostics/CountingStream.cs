using System.Runtime.CompilerServices;

namespace SocketServer.Internal.Diagnostics;

/// <summary>
/// Passes reads and writes through to a connection's stream and adds what moved to the server's
/// <see cref="TrafficTotals"/>: put under the pipes of the portable transport and of async handlers on a request
/// thread. An operation that completes at once costs nothing more; one that waits uses a pooled state machine, so
/// neither allocates per call. It never owns the stream.
/// </summary>
/// <param name="inner">The connection's stream, never disposed by this one.</param>
/// <param name="traffic">Where the bytes are counted.</param>
internal sealed class CountingStream(Stream inner, TrafficTotals traffic) : PassThroughStream(inner, ownsInner: false)
{
    private readonly TrafficTotals _traffic = traffic;

    /// <summary>Wraps <paramref name="stream"/> when there are totals to count into; else returns it as it is.</summary>
    public static Stream Over(Stream stream, TrafficTotals? traffic) => traffic is null ? stream : new CountingStream(stream, traffic);

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        int read = Inner.Read(buffer);
        _traffic.Received(read);
        return read;
    }

    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ValueTask<int> read = Inner.ReadAsync(buffer, cancellationToken);
        if (read.IsCompletedSuccessfully)
        {
            int count = read.Result;
            _traffic.Received(count);
            return new ValueTask<int>(count);
        }

        return AwaitRead(read);
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Inner.Write(buffer);
        _traffic.Sent(buffer.Length);
    }

    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ValueTask write = Inner.WriteAsync(buffer, cancellationToken);
        if (write.IsCompletedSuccessfully)
        {
            // Observed, so that a pooled source behind it is released.
            write.GetAwaiter().GetResult();
            _traffic.Sent(buffer.Length);
            return ValueTask.CompletedTask;
        }

        return AwaitWrite(write, buffer.Length);
    }

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
