using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using SocketServer.Internal.Limits;

namespace SocketServer.Internal.Async;

/// <summary>
/// The output of a portable connection (a stream: the socket's, or TLS over it) that the server's limits track: a
/// flush that cannot finish at once is a send in progress for <see cref="ServerLimits.MinSendRate"/>, as a blocked
/// <c>send</c> is on the faithful path and output stuck behind a full socket is on the reactor. Without it a client
/// that never reads would hold the handler in <c>FlushAsync</c> for ever.
/// </summary>
/// <remarks>
/// When the heartbeat aborts the connection (RST), the pending write fails and the flush throws the limit's
/// <see cref="ConnectionLimitException"/>. A flush that waits allocates nothing: the writer is its own completion
/// source (a pipe has one flush pending at a time).
/// </remarks>
internal sealed class LimitedPipeWriter(PipeWriter inner, ConnectionState limits) : DelegatingPipeWriter(inner), IValueTaskSource<FlushResult>
{
    /// <summary><paramref name="writer"/> seen by <paramref name="limits"/>, or <paramref name="writer"/> itself when the connection has none.</summary>
    public static PipeWriter Over(PipeWriter writer, ConnectionState? limits) => limits is null ? writer : new LimitedPipeWriter(writer, limits);

    // Continuations run where the inner flush completes, as the inner writer's own would.
    private ManualResetValueTaskSourceCore<FlushResult> _completion = new() { RunContinuationsAsynchronously = false };
    private ValueTask<FlushResult> _pending;
    private Action? _onInnerCompleted;

    /// <inheritdoc/>
    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        // Completing writes what is left: bounded by the send rate too (once per connection, so a plain async method).
        long unflushed = Inner.CanGetUnflushedBytes ? Inner.UnflushedBytes : 0;
        if (unflushed == 0)
        {
            await Inner.CompleteAsync(exception).ConfigureAwait(false);
            return;
        }

        try
        {
            limits.BeforeSend((int)Math.Min(unflushed, int.MaxValue));
        }
        catch (ConnectionLimitException limit)
        {
            // A limit cut the connection already: what is unsent is dropped (completing with an error writes nothing).
            Inner.Complete(limit);
            throw;
        }

        try
        {
            await Inner.CompleteAsync(exception).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Translate(e);
        }
        finally
        {
            limits.AfterSend();
        }
    }

    /// <inheritdoc/>
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        long unflushed = Inner.CanGetUnflushedBytes ? Inner.UnflushedBytes : 0;
        // CA2012: when pending, kept in a field and its result observed exactly once, in OnInnerCompleted.
#pragma warning disable CA2012
        ValueTask<FlushResult> flush = Inner.FlushAsync(cancellationToken);
#pragma warning restore CA2012
        if (flush.IsCompletedSuccessfully)
        {
            return flush;
        }

        if (flush.IsCompleted)
        {
            // Failed at once (the connection was cut before this flush): the same translation as a flush that waited.
            try
            {
                return new ValueTask<FlushResult>(flush.GetAwaiter().GetResult());
            }
            catch (Exception e)
            {
                return ValueTask.FromException<FlushResult>(Translate(e));
            }
        }

        // It waits for the peer: a send in progress, until it completes.
        limits.BeforeSend((int)Math.Min(unflushed, int.MaxValue));
        _pending = flush;
        _completion.Reset();
        flush.GetAwaiter().UnsafeOnCompleted(_onInnerCompleted ??= OnInnerCompleted);
        return new ValueTask<FlushResult>(this, _completion.Version);
    }

    /// <inheritdoc/>
    FlushResult IValueTaskSource<FlushResult>.GetResult(short token) => _completion.GetResult(token);

    /// <inheritdoc/>
    ValueTaskSourceStatus IValueTaskSource<FlushResult>.GetStatus(short token) => _completion.GetStatus(token);

    /// <inheritdoc/>
    void IValueTaskSource<FlushResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);

    private void OnInnerCompleted()
    {
        ValueTask<FlushResult> pending = _pending;
        _pending = default;
        FlushResult result;
        try
        {
            result = pending.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            limits.AfterSend();
            _completion.SetException(Translate(e));
            return;
        }

        limits.AfterSend();
        _completion.SetResult(result);
    }

    /// <summary>A write that failed because a limit aborted the connection becomes that limit's exception.</summary>
    private Exception Translate(Exception e)
    {
        for (Exception? cause = e; cause is not null; cause = cause.InnerException)
        {
            // Over TLS the socket's error comes wrapped twice (SslStream's IOException, NetworkStream's IOException).
            if (cause is SocketException socket)
            {
                return limits.WriteFailure(socket) is ConnectionLimitException limit ? limit : e;
            }
        }

        return e;
    }
}
