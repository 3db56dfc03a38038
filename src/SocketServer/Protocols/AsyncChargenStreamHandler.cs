using System.Buffers;
using System.IO.Pipelines;
using SocketServer.Internal.Limits;

namespace SocketServer.Protocols;

/// <summary>
/// Chargen for <c>--mode async</c>, as <see cref="ChargenStreamHandler"/>: the pattern until the client goes away or the
/// server drains. Each turn of the ring is written to <see cref="AsyncStreamRequestHandler.Output"/> and flushed, and
/// the flush is awaited: it waits while more than the output pipe's threshold is unsent (back-pressure), so a slow
/// reader holds the handler, not memory, and the server's <see cref="ServerLimits.MinSendRate"/> still applies.
/// </summary>
internal sealed class AsyncChargenStreamHandler : AsyncStreamRequestHandler
{
    /// <inheritdoc/>
    protected override async ValueTask HandleAsync()
    {
        PipeWriter output = Output;
        ConnectionTracker connections = Server.Connections;
        try
        {
            while (!connections.IsDraining && !ConnectionClosed.IsCancellationRequested)
            {
                output.Write(ChargenPattern.Cycle.Span);
                FlushResult flushed = await output.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    // The connection's output is done: the client went away or the server ended the connection.
                    return;
                }
            }
        }
        catch (IOException e) when (Internal.SocketErrors.IsPeerGone(e))
        {
        }
    }
}
