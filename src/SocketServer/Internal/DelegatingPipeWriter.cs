using System.IO.Pipelines;

namespace SocketServer.Internal;

/// <summary>
/// A <see cref="PipeWriter"/> that passes everything to <see cref="Inner"/>, for wrappers that change only what a
/// flush or a completion does (the reactor's output writer, the limits' writer).
/// </summary>
/// <remarks>
/// <c>WriteAsync</c> and <c>CompleteAsync</c> are deliberately not passed on: <see cref="PipeWriter"/>'s own versions
/// go through <see cref="FlushAsync"/> and <see cref="Complete"/>, so a subclass that overrides those two sees every
/// flush and every completion, whichever way the application asked for it.
/// </remarks>
internal abstract class DelegatingPipeWriter(PipeWriter inner) : PipeWriter
{
    /// <summary>The writer everything is passed to.</summary>
    protected PipeWriter Inner => inner;

    /// <inheritdoc/>
    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    /// <inheritdoc/>
    public override long UnflushedBytes => inner.UnflushedBytes;

    /// <inheritdoc/>
    public override void Advance(int bytes) => inner.Advance(bytes);

    /// <inheritdoc/>
    public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

    /// <inheritdoc/>
    public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

    /// <inheritdoc/>
    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    /// <inheritdoc/>
    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    /// <inheritdoc/>
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);
}
