namespace SocketServer.Protocols;

/// <summary>The echo protocol (RFC 862) on datagrams: each datagram is sent back to its sender.</summary>
public class EchoDatagramHandler : DatagramRequestHandler
{
    /// <summary>Writes the packet to the reply.</summary>
    protected override void Handle() => WFile.Write(Packet);
}
