using System.Buffers.Binary;

namespace SocketServer.Protocols;

/// <summary>
/// The time protocol's answer (RFC 868): the seconds since 1900-01-01 00:00 UTC as a 32-bit unsigned big-endian number.
/// </summary>
/// <remarks>
/// 32 bits run out on 2036-02-07 06:28:16 UTC. From then on the count wraps around to 0 (it is taken modulo 2^32), as
/// RFC 868 servers do in practice; clients tell the era by assuming the time is near their own (RFC 5905 calls it
/// era 1). Nothing here fails in 2036.
/// </remarks>
internal static class TimeProtocol
{
    /// <summary>The seconds from 1900-01-01 to 1970-01-01 (the Unix epoch): 70 years with 17 leap days.</summary>
    public const long SecondsFrom1900To1970 = 2_208_988_800;

    /// <summary>The length of the answer: 4 bytes.</summary>
    public const int Length = 4;

    /// <summary>The RFC 868 count for <paramref name="time"/>: seconds since 1900, modulo 2^32.</summary>
    /// <param name="time">The time.</param>
    /// <returns>The count, wrapped around after 2036-02-07 06:28:15 UTC.</returns>
    public static uint Seconds(DateTimeOffset time) => unchecked((uint)(time.ToUnixTimeSeconds() + SecondsFrom1900To1970));

    /// <summary>The 4-byte answer for the current time of <paramref name="clock"/>.</summary>
    /// <param name="clock">The server's clock (<see cref="BaseServer.TimeProvider"/>).</param>
    /// <returns>The answer, big-endian.</returns>
    public static byte[] Build(TimeProvider clock)
    {
        byte[] reply = new byte[Length];
        BinaryPrimitives.WriteUInt32BigEndian(reply, Seconds(clock.GetUtcNow()));
        return reply;
    }
}
