using System.Buffers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SocketServer;

// Settings from appsettings.json beside the program (whatever the working directory), the environment and the
// command line (--SocketServer:Servers:echo:Mode=threading); logs on the console.
HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});

// The server "echo" of appsettings.json: its TCP endpoint served by the line handler, its UDP one by the datagram
// handler. Each connection or datagram gets a handler of its own, built by dependency injection.
builder.Services.AddSocketServer<LineEchoHandler>("echo").UseHandler<DatagramEchoHandler>();

// Ctrl-C or SIGTERM stops the host: the server drains (its idle connections closed, the busy ones finishing), then exits 0.
builder.Build().Run();

// One handler per connection, no thread of its own: send every line back until the client closes.
internal sealed partial class LineEchoHandler(ILogger<LineEchoHandler> logger) : AsyncStreamRequestHandler
{
    protected override async ValueTask HandleAsync()
    {
        LogConnected(logger, ClientAddress);
        while (await ReadLineAsync() is { } line)
        {
            foreach (ReadOnlyMemory<byte> segment in line)
            {
                Output.Write(segment.Span);
            }

            await Output.FlushAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Echoing lines for {Client}")]
    private static partial void LogConnected(ILogger logger, System.Net.EndPoint? client);
}

// One handler per datagram: send it back.
internal sealed class DatagramEchoHandler : AsyncDatagramRequestHandler
{
    protected override ValueTask HandleAsync()
    {
        Reply(Packet);
        return ValueTask.CompletedTask;
    }
}
