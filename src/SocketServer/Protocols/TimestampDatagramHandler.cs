namespace SocketServer.Protocols;

/// <summary>The timestamp protocol on datagrams: each datagram is answered <c>[&lt;ctime&gt;] &lt;datagram&gt;</c>.</summary>
public class TimestampDatagramHandler : DatagramRequestHandler
{
    /// <summary>Writes the packet back behind the current time.</summary>
    protected override void Handle() => WFile.Write(TimestampReply.Build(Packet));
}
