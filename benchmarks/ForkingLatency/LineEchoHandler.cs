namespace SocketServer.Benchmarks.ForkingLatency;

/// <summary>Reads one line and writes it back.</summary>
internal sealed class LineEchoHandler : StreamRequestHandler
{
    protected override void Handle() => WFile.Write(RFile.ReadLine());
}
