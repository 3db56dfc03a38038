using System.Net;

namespace SocketServer;

/// <summary>
/// The PROXY protocol header a trusted proxy sent before a connection's data (see <see cref="ProxyProtocolOptions"/>):
/// who the original client was, whom it reached, and on v2 the TLVs. A handler finds it in
/// <see cref="BaseRequestHandler.ProxyHeader"/>.
/// </summary>
public sealed class ProxyHeader
{
    internal ProxyHeader(int version, bool isLocal, EndPoint? sourceAddress, EndPoint? destinationAddress, EndPoint? proxyAddress, IReadOnlyList<ProxyTlv> tlvs, ReadOnlyMemory<byte> raw)
    {
        Version = version;
        IsLocal = isLocal;
        SourceAddress = sourceAddress;
        DestinationAddress = destinationAddress;
        ProxyAddress = proxyAddress;
        Tlvs = tlvs;
        Raw = raw;
        foreach (ProxyTlv tlv in tlvs)
        {
            switch (tlv.Type)
            {
                case ProxyTlv.Alpn:
                    Alpn ??= System.Text.Encoding.ASCII.GetString(tlv.Value.Span);
                    break;
                case ProxyTlv.Authority:
                    Authority ??= System.Text.Encoding.UTF8.GetString(tlv.Value.Span);
                    break;
                case ProxyTlv.UniqueId:
                    UniqueId ??= tlv.Value;
                    break;
                case ProxyTlv.Ssl:
                    Ssl ??= new ProxySslInfo(tlv.Value);
                    break;
                case ProxyTlv.NetworkNamespace:
                    NetworkNamespace ??= System.Text.Encoding.ASCII.GetString(tlv.Value.Span);
                    break;
            }
        }
    }

    /// <summary>1 for the text header, 2 for the binary one.</summary>
    public int Version { get; }

    /// <summary>
    /// Whether the proxy spoke for itself (v2 LOCAL, HAProxy's health checks) or gave no client (v1 <c>UNKNOWN</c>,
    /// v2 family UNSPEC): the connection then keeps its real peer address.
    /// </summary>
    public bool IsLocal { get; }

    /// <summary>The original client's address (an <see cref="IPEndPoint"/>, or a Unix address on v2), or null when <see cref="IsLocal"/>.</summary>
    public EndPoint? SourceAddress { get; }

    /// <summary>The address the client connected to on the proxy, or null when <see cref="IsLocal"/>.</summary>
    public EndPoint? DestinationAddress { get; }

    /// <summary>The proxy's own address: the connection's real peer.</summary>
    public EndPoint? ProxyAddress { get; }

    /// <summary>Every v2 TLV in the order sent, those named below included, and types this library does not know; empty on v1.</summary>
    public IReadOnlyList<ProxyTlv> Tlvs { get; }

    /// <summary>The negotiated application protocol (TLV 0x01, ALPN), or null.</summary>
    public string? Alpn { get; }

    /// <summary>The host name the client asked for (TLV 0x02, AUTHORITY: SNI or Host), or null.</summary>
    public string? Authority { get; }

    /// <summary>The proxy's unique id of the connection (TLV 0x05, UNIQUE_ID: HAProxy's <c>unique-id-format</c>), or null.</summary>
    public ReadOnlyMemory<byte>? UniqueId { get; }

    /// <summary>What the proxy knows of the client's TLS (TLV 0x20, SSL), or null.</summary>
    public ProxySslInfo? Ssl { get; }

    /// <summary>The network namespace the proxy accepted the client in (TLV 0x30, NETNS), or null.</summary>
    public string? NetworkNamespace { get; }

    /// <summary>The header's bytes as received (its CRC32C, if any, was checked).</summary>
    internal ReadOnlyMemory<byte> Raw { get; }
}
