using System.IO.Pipelines;

namespace SocketServer.Internal.IoUring;

/// <summary>
/// The <see cref="PipeWriter"/> a connection's application writes to: the output pipe's writer, except that a flush
/// (or completion) also asks the connection's loop to write what is pending, instead of writing at once: when the
/// connection's read that runs the application returns, or at the end of the loop's current batch of events for a
/// flush from elsewhere. Messages written in reply to one read leave in one <c>writev</c>. The flush's own
/// result is the pipe's: incomplete while more than the pipe's pause threshold waits to be sent (back-pressure).
/// The io_uring connection's (the epoll reactor's connection is its own writer, <see cref="Reactor.DuplexOutput"/>).
/// </summary>
internal sealed class IoUringOutputWriter(PipeWriter inner, IOutputFlushScheduler connection) : DelegatingPipeWriter(inner)
{
    /// <inheritdoc/>
    public override void Complete(Exception? exception = null)
    {
        Inner.Complete(exception);
        connection.ScheduleFlush();
    }

    /// <inheritdoc/>
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ValueTask<FlushResult> result = Inner.FlushAsync(cancellationToken);
        connection.ScheduleFlush();
        return result;
    }

    /// <inheritdoc/>
    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        ValueTask<FlushResult> result = Inner.WriteAsync(source, cancellationToken);
        connection.ScheduleFlush();
        return result;
    }
}
