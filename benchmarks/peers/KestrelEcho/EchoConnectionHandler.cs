using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace KestrelEcho;

/// <summary>Echoes every byte of a connection back through Kestrel's pipes until the client closes.</summary>
internal sealed class EchoConnectionHandler : ConnectionHandler
{
    /// <summary>Copies the input pipe to the output pipe, flushing after each read.</summary>
    /// <param name="connection">The connection Kestrel accepted.</param>
    /// <returns>A task that completes when the client has closed.</returns>
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        while (true)
        {
            ReadResult result = await input.ReadAsync().ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            foreach (ReadOnlyMemory<byte> segment in buffer)
            {
                output.Write(segment.Span);
            }

            input.AdvanceTo(buffer.End);
            FlushResult flushed = await output.FlushAsync().ConfigureAwait(false);
            if (result.IsCompleted || flushed.IsCompleted)
            {
                return;
            }
        }
    }
}
