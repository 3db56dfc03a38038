namespace SocketServer.Protocols;

/// <summary>
/// The daytime protocol (RFC 867) on a stream: as soon as a client connects it is sent the server's local time in one
/// line, <c>Sun Dec  6 04:45:30 2026\r\n</c> (C's <c>ctime()</c> format, as BSD inetd sends), and the connection
/// closes. Anything the client sends is ignored.
/// </summary>
/// <remarks>The time is read from the server's <see cref="BaseServer.TimeProvider"/>, in its local time zone.</remarks>
public class DaytimeStreamHandler : StreamRequestHandler
{
    /// <summary>Writes the time; the server then closes the connection.</summary>
    protected override void Handle() => WFile.Write(DaytimeReply.Build(Server.TimeProvider));
}
