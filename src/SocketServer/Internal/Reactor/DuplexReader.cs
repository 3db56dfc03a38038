using System.IO.Pipelines;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// A face of a <see cref="DuplexConnection"/>'s input: a <see cref="PipeReader"/> over the blocks the loop received
/// into, whose reads are observed for the server's limits or not. <see cref="DuplexInput"/> is the handler's (observed
/// once the connection is told to); a plain one, unobserved, is what <see cref="AsyncStreamRequestHandler"/>'s read
/// helpers read, since they tell the limits by the unit (a line, a frame). Both share the connection's state and its
/// one waiting read.
/// </summary>
internal class DuplexReader(DuplexConnection connection, bool observed) : PipeReader
{
    /// <inheritdoc/>
    public sealed override void AdvanceTo(SequencePosition consumed) => connection.AdvanceInput(consumed, consumed);

    /// <inheritdoc/>
    public sealed override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => connection.AdvanceInput(consumed, examined);

    /// <inheritdoc/>
    public sealed override void CancelPendingRead() => connection.CancelPendingRead();

    /// <inheritdoc/>
    public sealed override void Complete(Exception? exception = null) => connection.CompleteInput();

    /// <inheritdoc/>
    public sealed override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) => connection.ReadInputAsync(observed, cancellationToken);

    /// <inheritdoc/>
    public sealed override bool TryRead(out ReadResult result) => connection.TryReadInput(out result, observed);
}
