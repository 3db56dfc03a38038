using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace SocketServer.Internal.Proxy;

/// <summary>
/// Parses a PROXY protocol header (HAProxy's <c>doc/proxy-protocol.txt</c>, v1 and v2) at the start of what a
/// connection sent so far. Incomplete input allocates nothing; a complete one is checked whole (CRC32C included)
/// before anything is built. Never reads past the span it is given, never throws for any input.
/// </summary>
internal static class ProxyHeaderParser
{
    /// <summary>The longest v1 line, CRLF included (an <c>UNKNOWN</c> line with two IPv6 addresses).</summary>
    public const int MaxV1Length = 107;

    /// <summary>The shortest valid header of either version: <c>PROXY UNKNOWN\r\n</c>.</summary>
    public const int MinLength = 15;

    /// <summary>The v2 fixed part: signature, version and command, family and protocol, length.</summary>
    public const int V2FixedLength = 16;

    /// <summary>
    /// The longest v2 header accepted (16 KiB, HAProxy's default buffer, which bounds what it can send): its 16-bit
    /// length could claim 64 KiB.
    /// </summary>
    public const int MaxHeaderLength = 16 * 1024;

    private const int MaxUniqueIdLength = 128;
    private const int UnixPathLength = 108;

    private static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    /// <summary>Whether <paramref name="first"/> starts a v2 header (else it must be v1's <c>P</c>).</summary>
    public static bool IsV2Start(byte first) => first == 0x0D;

    /// <summary>
    /// Parses the header at the start of <paramref name="data"/>. On <see cref="ProxyParseStatus.Complete"/>,
    /// <paramref name="length"/> is the header's length (what follows it is the connection's data) and
    /// <paramref name="header"/> the header; on <see cref="ProxyParseStatus.Invalid"/>, <paramref name="reason"/> says
    /// what is wrong (a constant: no allocation).
    /// </summary>
    public static ProxyParseStatus Parse(ReadOnlySpan<byte> data, ProxyProtocolVersions versions, EndPoint? proxyAddress, out int length, out ProxyHeader? header, out string? reason)
    {
        length = 0;
        header = null;
        reason = null;
        if (data.IsEmpty)
        {
            return ProxyParseStatus.Incomplete;
        }

        if (IsV2Start(data[0]))
        {
            return (versions & ProxyProtocolVersions.V2) == 0
                ? Invalid(out reason, "a v2 header, but only v1 is accepted")
                : ParseV2(data, proxyAddress, out length, out header, out reason);
        }

        if (data[0] == (byte)'P')
        {
            return (versions & ProxyProtocolVersions.V1) == 0
                ? Invalid(out reason, "a v1 header, but only v2 is accepted")
                : ParseV1(data, proxyAddress, out length, out header, out reason);
        }

        return Invalid(out reason, "the connection does not start with a PROXY protocol header");
    }

    /// <summary>
    /// How many of the <paramref name="peeked"/> bytes that follow the <paramref name="bufferedCount"/> bytes already
    /// taken (all in <paramref name="window"/>) belong to the header, at most: a receiver takes exactly that many off
    /// the socket, so the connection's first data stays in the socket for the handler. Bytes that belong to no valid
    /// header may be taken too: the connection is then refused anyway.
    /// </summary>
    public static int HeaderBytesIn(ReadOnlySpan<byte> window, int bufferedCount, int peeked)
    {
        if (peeked <= 0)
        {
            return 0;
        }

        if (!IsV2Start(window[0]))
        {
            // v1 (or garbage): up to the first LF; bytes before it are the line's.
            int lf = window.Slice(bufferedCount, peeked).IndexOf((byte)'\n');
            return lf < 0 ? peeked : lf + 1;
        }

        int available = bufferedCount + peeked;
        if (available < V2FixedLength)
        {
            return peeked;
        }

        int total = V2FixedLength + BinaryPrimitives.ReadUInt16BigEndian(window[14..]);
        return Math.Clamp(total - bufferedCount, 0, peeked);
    }

    private static ProxyParseStatus ParseV1(ReadOnlySpan<byte> data, EndPoint? proxyAddress, out int length, out ProxyHeader? header, out string? reason)
    {
        length = 0;
        header = null;
        int prefix = Math.Min(data.Length, V1Prefix.Length);
        if (!data[..prefix].SequenceEqual(V1Prefix[..prefix]))
        {
            return Invalid(out reason, "the connection does not start with a PROXY protocol header");
        }

        ReadOnlySpan<byte> window = data[..Math.Min(data.Length, MaxV1Length)];
        int lf = window.IndexOf((byte)'\n');
        int cr = window.IndexOf((byte)'\r');
        if (lf < 0)
        {
            if (cr >= 0 && cr != window.Length - 1)
            {
                return Invalid(out reason, "a v1 line with a CR not followed by LF");
            }

            return data.Length >= MaxV1Length
                ? Invalid(out reason, "a v1 line without CRLF within 107 bytes")
                : Incomplete(out reason);
        }

        if (cr != lf - 1)
        {
            return Invalid(out reason, "a v1 line with a lone CR or LF");
        }

        if (lf < V1Prefix.Length + 1)
        {
            return Invalid(out reason, "a v1 line without a protocol");
        }

        ReadOnlySpan<byte> line = data[V1Prefix.Length..cr];
        int space = line.IndexOf((byte)' ');
        ReadOnlySpan<byte> protocol = space < 0 ? line : line[..space];
        if (protocol.SequenceEqual("UNKNOWN"u8))
        {
            // Anything may follow UNKNOWN: the receiver keeps the real addresses.
            length = lf + 1;
            header = new ProxyHeader(1, isLocal: true, null, null, proxyAddress, [], data[..length].ToArray());
            reason = null;
            return ProxyParseStatus.Complete;
        }

        bool v6;
        if (protocol.SequenceEqual("TCP4"u8))
        {
            v6 = false;
        }
        else if (protocol.SequenceEqual("TCP6"u8))
        {
            v6 = true;
        }
        else
        {
            return Invalid(out reason, "a v1 line with a protocol other than TCP4, TCP6 or UNKNOWN");
        }

        if (space < 0)
        {
            return Invalid(out reason, "a v1 line without addresses");
        }

        Span<Range> fields = stackalloc Range[5];
        ReadOnlySpan<byte> rest = line[(space + 1)..];
        int count = Split(rest, fields, (byte)' ');
        if (count != 4)
        {
            return Invalid(out reason, "a v1 line without exactly two addresses and two ports");
        }

        if (!TryParseV1Address(rest[fields[0]], v6, out IPAddress? source)
            || !TryParseV1Address(rest[fields[1]], v6, out IPAddress? destination))
        {
            return Invalid(out reason, v6 ? "a v1 line with an address that is not IPv6" : "a v1 line with an address that is not canonical IPv4");
        }

        if (!TryParseV1Port(rest[fields[2]], out int sourcePort) || !TryParseV1Port(rest[fields[3]], out int destinationPort))
        {
            return Invalid(out reason, "a v1 line with a port that is not a decimal 0-65535 without leading zeros");
        }

        length = lf + 1;
        header = new ProxyHeader(1, isLocal: false, new IPEndPoint(source, sourcePort), new IPEndPoint(destination, destinationPort), proxyAddress, [], data[..length].ToArray());
        reason = null;
        return ProxyParseStatus.Complete;
    }

    private static bool TryParseV1Address(ReadOnlySpan<byte> field, bool v6, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        if (field.IsEmpty || field.Length > 45)
        {
            return false;
        }

        if (!v6)
        {
            Span<byte> octets = stackalloc byte[4];
            Span<Range> parts = stackalloc Range[5];
            if (Split(field, parts, (byte)'.') != 4)
            {
                return false;
            }

            for (int i = 0; i < 4; i++)
            {
                if (!TryParseDecimal(field[parts[i]], 255, out int octet))
                {
                    return false;
                }

                octets[i] = (byte)octet;
            }

            address = new IPAddress(octets);
            return true;
        }

        Span<char> chars = stackalloc char[45];
        for (int i = 0; i < field.Length; i++)
        {
            byte b = field[i];
            if (!(char.IsAsciiHexDigit((char)b) || b == (byte)':' || b == (byte)'.'))
            {
                return false;
            }

            chars[i] = (char)b;
        }

        return IPAddress.TryParse(chars[..field.Length], out address) && address.AddressFamily == AddressFamily.InterNetworkV6;
    }

    private static bool TryParseV1Port(ReadOnlySpan<byte> field, out int port) => TryParseDecimal(field, 65535, out port);

    /// <summary>A decimal of ASCII digits without leading zeros (except <c>0</c> itself), at most <paramref name="max"/>.</summary>
    private static bool TryParseDecimal(ReadOnlySpan<byte> digits, int max, out int value)
    {
        value = 0;
        if (digits.IsEmpty || digits.Length > 5 || (digits.Length > 1 && digits[0] == (byte)'0'))
        {
            return false;
        }

        foreach (byte b in digits)
        {
            if (!char.IsAsciiDigit((char)b))
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return value <= max;
    }

    private static ProxyParseStatus ParseV2(ReadOnlySpan<byte> data, EndPoint? proxyAddress, out int length, out ProxyHeader? header, out string? reason)
    {
        length = 0;
        header = null;
        int signature = Math.Min(data.Length, V2Signature.Length);
        if (!data[..signature].SequenceEqual(V2Signature[..signature]))
        {
            return Invalid(out reason, "a v2 header with a wrong signature");
        }

        if (data.Length > 12)
        {
            if (data[12] >> 4 != 2)
            {
                return Invalid(out reason, "a v2 header with a version other than 2");
            }

            if ((data[12] & 0x0F) > 1)
            {
                return Invalid(out reason, "a v2 header with a command other than LOCAL or PROXY");
            }
        }

        int addressLength = 0;
        if (data.Length > 13)
        {
            addressLength = data[13] switch
            {
                0x00 => 0,
                0x11 or 0x12 => 12,
                0x21 or 0x22 => 36,
                0x31 or 0x32 => 2 * UnixPathLength,
                _ => -1,
            };
            if (addressLength < 0)
            {
                return Invalid(out reason, "a v2 header with an unknown address family or protocol");
            }
        }

        if (data.Length < V2FixedLength)
        {
            return Incomplete(out reason);
        }

        int total = V2FixedLength + BinaryPrimitives.ReadUInt16BigEndian(data[14..]);
        if (total > MaxHeaderLength)
        {
            return Invalid(out reason, "a v2 header longer than 16 KiB");
        }

        if (total - V2FixedLength < addressLength)
        {
            return Invalid(out reason, "a v2 header whose length is too short for its address family");
        }

        if (data.Length < total)
        {
            return Incomplete(out reason);
        }

        ReadOnlySpan<byte> h = data[..total];
        int tlvCount = 0;
        int checksumAt = -1;
        for (int offset = V2FixedLength + addressLength; offset < total;)
        {
            if (total - offset < 3)
            {
                return Invalid(out reason, "a v2 TLV cut short by the header's length");
            }

            byte type = h[offset];
            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(h[(offset + 1)..]);
            int valueAt = offset + 3;
            if (valueLength > total - valueAt)
            {
                return Invalid(out reason, "a v2 TLV that runs past the header's length");
            }

            switch (type)
            {
                case ProxyTlv.Crc32C when valueLength != 4:
                    return Invalid(out reason, "a v2 CRC32C TLV whose length is not 4");
                case ProxyTlv.Crc32C when checksumAt >= 0:
                    return Invalid(out reason, "a v2 header with two CRC32C TLVs");
                case ProxyTlv.Crc32C:
                    checksumAt = valueAt;
                    break;
                case ProxyTlv.UniqueId when valueLength > MaxUniqueIdLength:
                    return Invalid(out reason, "a v2 UNIQUE_ID TLV longer than 128 bytes");
                case ProxyTlv.Ssl when !IsValidSsl(h.Slice(valueAt, valueLength)):
                    return Invalid(out reason, "a v2 SSL TLV whose sub-TLVs do not fit");
            }

            tlvCount++;
            offset = valueAt + valueLength;
        }

        if (checksumAt >= 0)
        {
            uint state = Crc32C.Append(Crc32C.Initial, h[..checksumAt]);
            state = Crc32C.Append(state, [0, 0, 0, 0]);
            state = Crc32C.Append(state, h[(checksumAt + 4)..]);
            if (Crc32C.Finish(state) != BinaryPrimitives.ReadUInt32BigEndian(h[checksumAt..]))
            {
                return Invalid(out reason, "a v2 header whose CRC32C does not match");
            }
        }

        bool local = (h[12] & 0x0F) == 0 || h[13] == 0x00;
        EndPoint? source = null;
        EndPoint? destination = null;
        if (!local && !TryReadAddresses(h, out source, out destination))
        {
            return Invalid(out reason, "a v2 header with a Unix path that is not NUL-terminated UTF-8");
        }

        byte[] raw = h.ToArray();
        ProxyTlv[] tlvs = tlvCount == 0 ? [] : new ProxyTlv[tlvCount];
        int index = 0;
        for (int offset = V2FixedLength + addressLength; offset < total;)
        {
            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(h[(offset + 1)..]);
            tlvs[index++] = new ProxyTlv(h[offset], raw.AsMemory(offset + 3, valueLength));
            offset += 3 + valueLength;
        }

        length = total;
        header = new ProxyHeader(2, local || source is null, source, destination, proxyAddress, tlvs, raw);
        reason = null;
        return ProxyParseStatus.Complete;
    }

    private static bool IsValidSsl(ReadOnlySpan<byte> value)
    {
        // client (1 byte), verify (4 bytes), then sub-TLVs that must fit exactly.
        if (value.Length < 5)
        {
            return false;
        }

        int offset = 5;
        while (offset < value.Length)
        {
            if (value.Length - offset < 3)
            {
                return false;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(value[(offset + 1)..]);
            offset += 3 + length;
            if (offset > value.Length)
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryReadAddresses(ReadOnlySpan<byte> h, out EndPoint? source, out EndPoint? destination)
    {
        source = null;
        destination = null;
        ReadOnlySpan<byte> a = h[V2FixedLength..];
        switch (h[13] >> 4)
        {
            case 1:
                source = new IPEndPoint(new IPAddress(a[..4]), BinaryPrimitives.ReadUInt16BigEndian(a[8..]));
                destination = new IPEndPoint(new IPAddress(a[4..8]), BinaryPrimitives.ReadUInt16BigEndian(a[10..]));
                return true;
            case 2:
                source = new IPEndPoint(new IPAddress(a[..16]), BinaryPrimitives.ReadUInt16BigEndian(a[32..]));
                destination = new IPEndPoint(new IPAddress(a[16..32]), BinaryPrimitives.ReadUInt16BigEndian(a[34..]));
                return true;
            default:
                return TryReadUnixPath(a[..UnixPathLength], out source) && TryReadUnixPath(a[UnixPathLength..(2 * UnixPathLength)], out destination);
        }
    }

    private static bool TryReadUnixPath(ReadOnlySpan<byte> field, out EndPoint? address)
    {
        address = null;
        // An abstract name starts with NUL and runs to the first NUL after it.
        int start = field[0] == 0 ? 1 : 0;
        int end = field[start..].IndexOf((byte)0);
        if (end < 0)
        {
            return false;
        }

        ReadOnlySpan<byte> path = field.Slice(start, end);
        if (path.IsEmpty)
        {
            return true;
        }

        if (!System.Text.Unicode.Utf8.IsValid(path))
        {
            return false;
        }

        try
        {
            string name = System.Text.Encoding.UTF8.GetString(path);
            address = new UnixDomainSocketEndPoint(start == 1 ? "\0" + name : name);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// Splits <paramref name="text"/> on <paramref name="separator"/> into <paramref name="ranges"/>; returns how many
    /// fields there are, at most <c>ranges.Length</c> (the last then holds the rest).
    /// </summary>
    private static int Split(ReadOnlySpan<byte> text, Span<Range> ranges, byte separator)
    {
        int count = 0;
        int start = 0;
        while (count < ranges.Length - 1)
        {
            int next = text[start..].IndexOf(separator);
            if (next < 0)
            {
                break;
            }

            ranges[count++] = new Range(start, start + next);
            start += next + 1;
        }

        ranges[count++] = new Range(start, text.Length);
        return count;
    }

    private static ProxyParseStatus Invalid(out string? reason, string why)
    {
        reason = why;
        return ProxyParseStatus.Invalid;
    }

    private static ProxyParseStatus Incomplete(out string? reason)
    {
        reason = null;
        return ProxyParseStatus.Incomplete;
    }
}
