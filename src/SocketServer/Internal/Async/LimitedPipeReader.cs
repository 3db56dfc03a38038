using System.IO.Pipelines;
using System.Threading.Tasks.Sources;
using SocketServer.Internal.Limits;

namespace SocketServer.Internal.Async;

/// <summary>
/// The <see cref="AsyncStreamRequestHandler.Input"/> of a connection the server's limits track: the connection's
/// reader, except that a <c>ReadAsync</c> that has to wait is seen by the limits as a receive (idle timeout,
/// first-unit deadline, drain), as the read helpers' reads are. Without it a handler that reads <c>Input</c> itself
/// would be invisible to the heartbeat: never closed when idle, never cut at the first-unit deadline, and counted as
/// in flight by a drain.
/// </summary>
/// <remarks>
/// A read that returns bytes is a whole protocol unit, as a plain <c>recv</c> is on the faithful path (the reader
/// cannot know where the handler's own messages end). A read that waits allocates nothing: the reader is its own
/// completion source. A read that can be served from what is buffered takes no
/// wait and is not marked. The read helpers of <see cref="AsyncStreamRequestHandler"/> keep reading the unwrapped
/// reader, since they track their reads (lines, frames) themselves.
/// </remarks>
internal sealed class LimitedPipeReader(PipeReader inner, ConnectionState limits) : PipeReader, IValueTaskSource<ReadResult>
{
    // Continuations run where the inner read completes (inline on the loop, as the pipe's own would).
    private ManualResetValueTaskSourceCore<ReadResult> _completion = new() { RunContinuationsAsynchronously = false };
    private ValueTask<ReadResult> _pending;
    private Action? _onInnerCompleted;

    /// <summary><paramref name="reader"/> seen by <paramref name="limits"/>, or <paramref name="reader"/> itself when the connection has none.</summary>
    public static PipeReader Over(PipeReader reader, ConnectionState? limits) => limits is null ? reader : new LimitedPipeReader(reader, limits);

    /// <summary>The connection's own reader, for the read helpers.</summary>
    public PipeReader Inner => inner;

    /// <inheritdoc/>
    public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

    /// <inheritdoc/>
    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

    /// <inheritdoc/>
    public override void CancelPendingRead() => inner.CancelPendingRead();

    /// <inheritdoc/>
    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    /// <inheritdoc/>
    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    /// <inheritdoc/>
    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        if (!result.Buffer.IsEmpty)
        {
            limits.UnitCompleted();
        }

        return true;
    }

    /// <inheritdoc/>
    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        // CA2012: when pending, kept in a field and its result observed exactly once, in OnInnerCompleted.
#pragma warning disable CA2012
        ValueTask<ReadResult> read = inner.ReadAsync(cancellationToken);
#pragma warning restore CA2012
        if (read.IsCompletedSuccessfully)
        {
            ReadResult result = read.Result;
            if (!result.Buffer.IsEmpty)
            {
                limits.UnitCompleted();
            }

            return new ValueTask<ReadResult>(result);
        }

        // It waits: marked as a receive. False means the server is draining and this connection is idle: the state
        // closed it (shut its receiving side), so the pending read completes with the end of the stream.
        _ = limits.BeforeReceive(0);
        _pending = read;
        _completion.Reset();
        // This reader is the read's completion source (a pipe has one read pending at a time), so a wait allocates
        // nothing: the inner read's completion runs OnInnerCompleted, which completes this one.
        read.GetAwaiter().UnsafeOnCompleted(_onInnerCompleted ??= OnInnerCompleted);
        return new ValueTask<ReadResult>(this, _completion.Version);
    }

    /// <inheritdoc/>
    ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _completion.GetResult(token);

    /// <inheritdoc/>
    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _completion.GetStatus(token);

    /// <inheritdoc/>
    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);

    private void OnInnerCompleted()
    {
        ValueTask<ReadResult> pending = _pending;
        _pending = default;
        ReadResult result;
        try
        {
            result = pending.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            _completion.SetException(ReadFailure(e));
            return;
        }

        long length = result.Buffer.Length;
        try
        {
            limits.AfterReceive((int)Math.Min(length, int.MaxValue));
        }
        catch (Exception limit)
        {
            _completion.SetException(limit);
            return;
        }

        if (length > 0)
        {
            limits.UnitCompleted();
        }

        _completion.SetResult(result);
    }

    /// <summary>Ends the wait of a read that failed: the limit's <see cref="ConnectionLimitException"/> when a limit cut the connection, else the failure itself.</summary>
    private Exception ReadFailure(Exception failure)
    {
        try
        {
            limits.AfterReceive(0);
            return failure;
        }
        catch (Exception limit)
        {
            return limit;
        }
    }
}
