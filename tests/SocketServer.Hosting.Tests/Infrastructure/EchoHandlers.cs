using System.Buffers;

namespace SocketServer.Hosting.Tests.Infrastructure;

/// <summary>Sends every line back until the client closes, on the request's thread.</summary>
internal sealed class SyncLineEcho : StreamRequestHandler
{
    protected override void Handle()
    {
        for (byte[] line = RFile.ReadLine(); line.Length > 0; line = RFile.ReadLine())
        {
            WFile.Write(line);
            WFile.Flush();
        }
    }
}

/// <summary>Sends every line back until the client closes, on the event loop.</summary>
internal sealed class AsyncLineEcho : AsyncStreamRequestHandler
{
    protected override async ValueTask HandleAsync()
    {
        while (await ReadLineAsync() is { } line)
        {
            foreach (ReadOnlyMemory<byte> segment in line)
            {
                Output.Write(segment.Span);
            }

            await Output.FlushAsync();
        }
    }
}

/// <summary>Sends the datagram back, on the request's thread.</summary>
internal sealed class SyncDatagramEcho : DatagramRequestHandler
{
    protected override void Handle() => WFile.Write(Packet);
}

/// <summary>Sends the datagram back after a yield, so that the request ends after the handler's own end.</summary>
internal sealed class AsyncDatagramEcho : AsyncDatagramRequestHandler
{
    protected override async ValueTask HandleAsync()
    {
        await Task.Yield();
        Reply(Packet);
    }
}

/// <summary>Answers each connection with the client address it was given (the proxy's client behind a PROXY header), then closes.</summary>
internal sealed class ClientAddressReporter : StreamRequestHandler
{
    protected override void Handle()
    {
        WFile.Write(System.Text.Encoding.UTF8.GetBytes($"{ClientAddress}\n"));
        WFile.Flush();
    }
}
