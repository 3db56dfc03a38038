using System.Buffers;
using System.Text;

namespace SocketServer.Hosting.Tests.Infrastructure;

/// <summary>Echoes lines; the line "wait" is held at the <see cref="DrainGate"/> before its answer "done".</summary>
internal sealed class SyncGatedEcho(DrainGate gate) : StreamRequestHandler
{
    protected override void Handle()
    {
        for (byte[] line = RFile.ReadLine(); line.Length > 0; line = RFile.ReadLine())
        {
            if (Encoding.UTF8.GetString(line).Trim() == "wait")
            {
                gate.Enter();
                gate.Released.Wait(TestTimeouts.Long);
                line = "done\n"u8.ToArray();
            }

            WFile.Write(line);
            WFile.Flush();
        }
    }
}

/// <summary>The async twin of <see cref="SyncGatedEcho"/>.</summary>
internal sealed class AsyncGatedEcho(DrainGate gate) : AsyncStreamRequestHandler
{
    protected override async ValueTask HandleAsync()
    {
        while (await ReadLineAsync() is { } line)
        {
            if (Encoding.UTF8.GetString(line).Trim() == "wait")
            {
                gate.Enter();
                await gate.Released.WaitAsync(TestTimeouts.Long);
                Output.Write("done\n"u8);
            }
            else
            {
                foreach (ReadOnlyMemory<byte> segment in line)
                {
                    Output.Write(segment.Span);
                }
            }

            await Output.FlushAsync();
        }
    }
}

/// <summary>Writes to a client that never reads until the server aborts it: a request that cannot finish in any grace period.</summary>
internal sealed class SyncFlood(DrainGate gate) : StreamRequestHandler
{
    protected override void Handle()
    {
        byte[] block = new byte[64 * 1024];
        gate.Enter();
        for (int i = 0; i < 16 * 1024; i++)
        {
            WFile.Write(block);
        }
    }
}
