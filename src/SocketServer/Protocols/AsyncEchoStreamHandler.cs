using System.Buffers;
using System.IO.Pipelines;

namespace SocketServer.Protocols;

/// <summary>
/// Echo for <c>--mode async</c>: every byte received is sent back, in the chunks it arrived in, until the client
/// ends its stream. Copies each chunk into the output pipe, so the steady state allocates nothing.
/// </summary>
internal sealed class AsyncEchoStreamHandler : AsyncStreamRequestHandler
{
    /// <inheritdoc/>
    protected override async ValueTask HandleAsync()
    {
        PipeReader input = Input;
        PipeWriter output = Output;
        try
        {
            while (true)
            {
                // Input is seen by the server's limits (idle timeout, drain: a drain ends an idle connection's input),
                // and awaiting it directly keeps no state machine of a helper per idle connection (two, 480 B).
                ReadResult result = await input.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                foreach (ReadOnlyMemory<byte> segment in buffer)
                {
                    output.Write(segment.Span);
                }

                input.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }

                FlushResult flushed = await output.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (IOException e) when (Internal.SocketErrors.IsPeerGone(e))
        {
            // As EchoStreamHandler: a client that resets has ended the conversation; nothing to report.
        }
    }
}
