using System.Text;

namespace SocketServer.Protocols;

/// <summary>
/// The daytime protocol's answer (RFC 867, whose format is free): the server's local time as C's <c>ctime()</c> writes
/// it, then CR LF, as BSD inetd answers: <c>Sun Dec  6 04:45:30 2026\r\n</c>. No time zone is given; the time protocol
/// (RFC 868) is the one to use for an unambiguous clock.
/// </summary>
internal static class DaytimeReply
{
    /// <summary>The answer for the current time of <paramref name="clock"/>, in its local time zone.</summary>
    /// <param name="clock">The server's clock (<see cref="BaseServer.TimeProvider"/>).</param>
    /// <returns>26 ASCII bytes for years 1000 to 9999.</returns>
    public static byte[] Build(TimeProvider clock) => Encoding.ASCII.GetBytes(CTime.Format(clock.GetLocalNow().DateTime) + "\r\n");
}
