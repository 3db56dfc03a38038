namespace SocketServer.Protocols;

/// <summary>
/// The character generator protocol's pattern (RFC 864): the 95 printable ASCII characters (space to <c>~</c>) as a
/// ring, in lines of 72 characters each followed by CR LF, line <c>n</c> starting at character <c>n</c> of the ring.
/// </summary>
internal static class ChargenPattern
{
    /// <summary>The characters of a line, before its CR LF.</summary>
    public const int LineLength = 72;

    /// <summary>The printable ASCII characters: 0x20 (space) to 0x7E (<c>~</c>).</summary>
    public const int RingLength = 95;

    /// <summary>The longest datagram reply, from RFC 864: "a random number (between 0 and 512) of characters".</summary>
    public const int MaxDatagramLength = 512;

    /// <summary>
    /// One whole turn of the ring: 95 lines of 74 bytes (7030 bytes). The line after the last is line 0 again, so the
    /// stream is this block sent over and over, which lets a handler write large blocks without building any.
    /// </summary>
    public static ReadOnlyMemory<byte> Cycle { get; } = BuildCycle();

    /// <summary>The first <paramref name="length"/> bytes of the pattern, for a datagram reply.</summary>
    /// <param name="length">0 to <see cref="MaxDatagramLength"/>.</param>
    /// <returns>The bytes, CR LF included where a line ends.</returns>
    public static ReadOnlySpan<byte> Prefix(int length) => Cycle.Span[..length];

    /// <summary>A datagram reply's length, drawn anew for each datagram: 0 to 512, each as likely.</summary>
    /// <returns>The length.</returns>
    public static int RandomDatagramLength() => Random.Shared.Next(MaxDatagramLength + 1);

    private static byte[] BuildCycle()
    {
        byte[] cycle = new byte[RingLength * (LineLength + 2)];
        int at = 0;
        for (int line = 0; line < RingLength; line++)
        {
            for (int i = 0; i < LineLength; i++)
            {
                cycle[at++] = (byte)(' ' + ((line + i) % RingLength));
            }

            cycle[at++] = (byte)'\r';
            cycle[at++] = (byte)'\n';
        }

        return cycle;
    }
}
