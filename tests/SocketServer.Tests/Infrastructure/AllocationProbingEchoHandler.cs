using System.Buffers;
using System.IO.Pipelines;

namespace SocketServer.Tests.Infrastructure;

/// <summary>The async echo handler's loop, measuring its own thread's (the loop's) allocations between two messages.</summary>
internal sealed class AllocationProbingEchoHandler(AllocationProbe probe) : AsyncStreamRequestHandler
{
    protected override async ValueTask HandleAsync()
    {
        int messages = 0;
        while (true)
        {
            ReadResult result = await Input.ReadAsync();
            ReadOnlySequence<byte> buffer = result.Buffer;
            foreach (ReadOnlyMemory<byte> segment in buffer)
            {
                Output.Write(segment.Span);
            }

            Input.AdvanceTo(buffer.End);
            if (result.IsCompleted)
            {
                return;
            }

            probe.Record(++messages);
            await Output.FlushAsync();
        }
    }
}
