using System.IO.Pipelines;

namespace SocketServer.Protocols;

/// <summary>Discard for <c>--mode async</c>, as <see cref="DiscardStreamHandler"/>: everything received is dropped until the client ends its stream.</summary>
internal sealed class AsyncDiscardStreamHandler : AsyncStreamRequestHandler
{
    /// <inheritdoc/>
    protected override async ValueTask HandleAsync()
    {
        PipeReader input = Input;
        try
        {
            // Seen by the server's limits (idle timeout, drain): null means the server closed this idle connection.
            while (await ReadAvailableAsync().ConfigureAwait(false) is { } result)
            {
                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (IOException e) when (Internal.SocketErrors.IsPeerGone(e))
        {
        }
    }
}
