namespace SocketServer.Tests.Infrastructure;

/// <summary>CPython's test handler for stream servers: echo one line.</summary>
internal sealed class LineEchoStreamHandler : StreamRequestHandler
{
    protected override void Handle() => WFile.Write(RFile.ReadLine());
}

/// <summary>CPython's test handler for datagram servers: echo one line of the datagram.</summary>
internal sealed class LineEchoDatagramHandler : DatagramRequestHandler
{
    protected override void Handle() => RFile.CopyTo(WFile);
}
