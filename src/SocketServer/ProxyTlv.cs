namespace SocketServer;

/// <summary>One type-length-value field of a PROXY protocol v2 header.</summary>
public sealed class ProxyTlv
{
    /// <summary>PP2_TYPE_ALPN: the application protocol.</summary>
    public const byte Alpn = 0x01;

    /// <summary>PP2_TYPE_AUTHORITY: the host name (UTF-8).</summary>
    public const byte Authority = 0x02;

    /// <summary>PP2_TYPE_CRC32C: the header's checksum (checked before the header is accepted).</summary>
    public const byte Crc32C = 0x03;

    /// <summary>PP2_TYPE_NOOP: padding.</summary>
    public const byte Noop = 0x04;

    /// <summary>PP2_TYPE_UNIQUE_ID: an opaque id of the connection, at most 128 bytes.</summary>
    public const byte UniqueId = 0x05;

    /// <summary>PP2_TYPE_SSL: the client's TLS, with sub-TLVs.</summary>
    public const byte Ssl = 0x20;

    /// <summary>PP2_TYPE_NETNS: the network namespace's name.</summary>
    public const byte NetworkNamespace = 0x30;

    internal ProxyTlv(byte type, ReadOnlyMemory<byte> value)
    {
        Type = type;
        Value = value;
    }

    /// <summary>The type (0xE0 to 0xEF are for applications).</summary>
    public byte Type { get; }

    /// <summary>The value's bytes.</summary>
    public ReadOnlyMemory<byte> Value { get; }
}
