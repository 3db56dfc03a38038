namespace SocketServer.Protocols;

/// <summary>
/// The character generator protocol (RFC 864) on datagrams: each datagram, whatever it holds, is answered with one
/// datagram of a random length from 0 to 512 bytes (drawn anew each time), the start of the pattern
/// <see cref="ChargenStreamHandler"/> sends: lines of 72 characters and CR LF, the first starting with a space.
/// </summary>
public class ChargenDatagramHandler : DatagramRequestHandler
{
    /// <summary>Writes the reply.</summary>
    protected override void Handle() => WFile.Write(ChargenPattern.Prefix(ChargenPattern.RandomDatagramLength()));
}
