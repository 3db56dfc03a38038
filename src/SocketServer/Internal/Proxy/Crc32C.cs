namespace SocketServer.Internal.Proxy;

/// <summary>
/// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of PROXY v2's CRC32C TLV. System.IO.Hashing's
/// <c>Crc32</c> is the IEEE polynomial, not this one; one table-driven byte loop is plenty for a header read once per
/// connection.
/// </summary>
internal static class Crc32C
{
    private static readonly uint[] s_table = CreateTable();

    /// <summary>The checksum's starting state.</summary>
    public const uint Initial = 0xFFFFFFFF;

    /// <summary>Feeds <paramref name="data"/> into a running state.</summary>
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        uint[] table = s_table;
        foreach (byte b in data)
        {
            state = table[(byte)(state ^ b)] ^ (state >> 8);
        }

        return state;
    }

    /// <summary>The checksum of a finished state.</summary>
    public static uint Finish(uint state) => ~state;

    /// <summary>The checksum of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Initial, data));

    private static uint[] CreateTable()
    {
        uint[] table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0x82F63B78 ^ (c >> 1) : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }
}
