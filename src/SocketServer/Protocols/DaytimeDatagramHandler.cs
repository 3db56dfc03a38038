namespace SocketServer.Protocols;

/// <summary>
/// The daytime protocol (RFC 867) on datagrams: each datagram, whatever it holds, is answered with one datagram
/// holding the server's local time, <c>Sun Dec  6 04:45:30 2026\r\n</c>, as <see cref="DaytimeStreamHandler"/> sends it.
/// </summary>
public class DaytimeDatagramHandler : DatagramRequestHandler
{
    /// <summary>Writes the time to the reply.</summary>
    protected override void Handle() => WFile.Write(DaytimeReply.Build(Server.TimeProvider));
}
