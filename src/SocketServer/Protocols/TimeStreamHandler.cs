namespace SocketServer.Protocols;

/// <summary>
/// The time protocol (RFC 868) on a stream: as soon as a client connects it is sent the seconds since 1900-01-01 00:00
/// UTC as a 32-bit unsigned big-endian number, and the connection closes. Anything the client sends is ignored.
/// </summary>
/// <remarks>
/// The count wraps around to 0 on 2036-02-07 06:28:16 UTC (it is taken modulo 2^32): clients pick the era nearest
/// their own clock. The time is read from the server's <see cref="BaseServer.TimeProvider"/>.
/// </remarks>
public class TimeStreamHandler : StreamRequestHandler
{
    /// <summary>Writes the 4-byte time; the server then closes the connection.</summary>
    protected override void Handle() => WFile.Write(TimeProtocol.Build(Server.TimeProvider));
}
