namespace SocketServer.Protocols;

/// <summary>
/// The time protocol (RFC 868) on datagrams: each datagram, whatever it holds (usually none), is answered with the
/// 4-byte time <see cref="TimeStreamHandler"/> sends, wrapping around in 2036 in the same way.
/// </summary>
public class TimeDatagramHandler : DatagramRequestHandler
{
    /// <summary>Writes the 4-byte time to the reply.</summary>
    protected override void Handle() => WFile.Write(TimeProtocol.Build(Server.TimeProvider));
}
