using System.Net.Sockets;

namespace SocketServer.Cli.Tests.Bench;

/// <summary>A broken echo: reads the first message, then resets the connection (linger 0) without answering.</summary>
internal sealed class ResettingHandler : StreamRequestHandler
{
    protected override void Handle()
    {
        byte[] buffer = new byte[SocketReader.DefaultBufferSize];
        if (RFile.Read(buffer) > 0)
        {
            Connection.LingerState = new LingerOption(true, 0);
        }
    }
}
