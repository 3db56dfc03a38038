using System.IO.Pipelines;
using System.Threading.Tasks.Sources;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// A <see cref="DuplexConnection"/>'s <see cref="PipeWriter"/>: the handler writes into the connection's blocks,
/// which the loop sends from directly. The state is the connection's (see its threading rules); this object is the
/// face the handler holds and the completion source of a flush that waits (back-pressure).
/// </summary>
internal sealed class DuplexOutput(DuplexConnection connection) : PipeWriter, IValueTaskSource<FlushResult>
{
    private ManualResetValueTaskSourceCore<FlushResult> _core = new() { RunContinuationsAsynchronously = false };

    /// <summary>The version of the flush that waits now.</summary>
    internal short Version => _core.Version;

    /// <inheritdoc/>
    public override bool CanGetUnflushedBytes => true;

    /// <inheritdoc/>
    public override long UnflushedBytes => connection.UnflushedBytes;

    /// <inheritdoc/>
    public override void Advance(int bytes) => connection.AdvanceOutput(bytes);

    /// <inheritdoc/>
    public override void CancelPendingFlush() => connection.CancelPendingFlush();

    /// <inheritdoc/>
    public override void Complete(Exception? exception = null) => connection.CompleteOutput(exception);

    /// <inheritdoc/>
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => connection.FlushOutputAsync(cancellationToken);

    /// <inheritdoc/>
    public override Memory<byte> GetMemory(int sizeHint = 0) => connection.GetOutputMemory(sizeHint);

    /// <inheritdoc/>
    public override Span<byte> GetSpan(int sizeHint = 0) => connection.GetOutputSpan(sizeHint);

    /// <inheritdoc/>
    FlushResult IValueTaskSource<FlushResult>.GetResult(short token) => _core.GetResult(token);

    /// <inheritdoc/>
    ValueTaskSourceStatus IValueTaskSource<FlushResult>.GetStatus(short token) => _core.GetStatus(token);

    /// <inheritdoc/>
    void IValueTaskSource<FlushResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Readies the source for a flush that waits.</summary>
    internal void Reset() => _core.Reset();

    /// <summary>Completes the waiting flush (its continuation runs here).</summary>
    internal void SetResult(FlushResult result) => _core.SetResult(result);

    /// <summary>Fails the waiting flush.</summary>
    internal void SetException(Exception error) => _core.SetException(error);
}
