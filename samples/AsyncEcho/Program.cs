using System.Buffers;
using System.Globalization;
using System.Net;
using SocketServer;

int port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10001;
using var server = new TcpServer<AsyncEchoHandler>(new IPEndPoint(IPAddress.Loopback, port));
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
Console.WriteLine($"Async echo server on tcp://{server.ServerAddress}");
await server.ServeAsync(stop.Token);

// One handler per connection, no thread of its own: it runs on the server's event loops between reads.
internal sealed class AsyncEchoHandler : AsyncStreamRequestHandler
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
