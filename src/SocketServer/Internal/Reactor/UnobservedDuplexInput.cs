using System.IO.Pipelines;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// A second face of a <see cref="DuplexConnection"/>'s input, for <see cref="AsyncStreamRequestHandler"/>'s read
/// helpers: the same blocks and the same waiting read as <see cref="DuplexInput"/>, but its reads are not reported to
/// the server's limits, since the helpers report theirs by the unit (a line, a frame). Created for the handlers that
/// use the helpers only.
/// </summary>
internal sealed class UnobservedDuplexInput(DuplexConnection connection) : PipeReader
{
    /// <inheritdoc/>
    public override void AdvanceTo(SequencePosition consumed) => connection.AdvanceInput(consumed, consumed);

    /// <inheritdoc/>
    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => connection.AdvanceInput(consumed, examined);

    /// <inheritdoc/>
    public override void CancelPendingRead() => connection.CancelPendingRead();

    /// <inheritdoc/>
    public override void Complete(Exception? exception = null) => connection.CompleteInput();

    /// <inheritdoc/>
    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) => connection.ReadInputAsync(observed: false, cancellationToken);

    /// <inheritdoc/>
    public override bool TryRead(out ReadResult result) => connection.TryReadInput(out result, observed: false);
}
