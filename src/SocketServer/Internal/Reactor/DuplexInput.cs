using System.IO.Pipelines;
using System.Threading.Tasks.Sources;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// A <see cref="DuplexConnection"/>'s <see cref="PipeReader"/>: the handler's view of the blocks the loop received
/// into. The state is the connection's (see its threading rules); this object is the face the handler holds, the
/// completion source of a read that waits, and the connection's lock for the rare cross-thread path.
/// </summary>
internal sealed class DuplexInput(DuplexConnection connection) : DuplexReader(connection, observed: true), IValueTaskSource<ReadResult>
{
    // Continuations run where the read completes: inline on the loop, which is the point (no thread hop).
    private ManualResetValueTaskSourceCore<ReadResult> _core = new() { RunContinuationsAsynchronously = false };

    /// <summary>The version of the read that waits now.</summary>
    internal short Version => _core.Version;

    /// <inheritdoc/>
    ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _core.GetResult(token);

    /// <inheritdoc/>
    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _core.GetStatus(token);

    /// <inheritdoc/>
    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Readies the source for a read that waits.</summary>
    internal void Reset() => _core.Reset();

    /// <summary>Completes the waiting read (its continuation runs here).</summary>
    internal void SetResult(ReadResult result) => _core.SetResult(result);

    /// <summary>Fails the waiting read.</summary>
    internal void SetException(Exception error) => _core.SetException(error);
}
