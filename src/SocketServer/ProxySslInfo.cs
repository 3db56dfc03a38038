using System.Buffers.Binary;
using System.Text;

namespace SocketServer;

/// <summary>The SSL TLV (0x20) of a PROXY protocol v2 header: how the client reached the proxy over TLS.</summary>
public sealed class ProxySslInfo
{
    private const byte ClientSsl = 0x01;
    private const byte ClientCertConnection = 0x02;
    private const byte ClientCertSession = 0x04;

    /// <summary>Reads the TLV's value, whose structure the parser has checked.</summary>
    internal ProxySslInfo(ReadOnlyMemory<byte> value)
    {
        ReadOnlySpan<byte> span = value.Span;
        byte client = span[0];
        ClientUsedTls = (client & ClientSsl) != 0;
        ClientCertificateInConnection = (client & ClientCertConnection) != 0;
        ClientCertificateInSession = (client & ClientCertSession) != 0;
        CertificateVerified = BinaryPrimitives.ReadUInt32BigEndian(span[1..]) == 0;
        int offset = 5;
        while (offset + 3 <= span.Length)
        {
            byte type = span[offset];
            int length = BinaryPrimitives.ReadUInt16BigEndian(span[(offset + 1)..]);
            ReadOnlySpan<byte> sub = span.Slice(offset + 3, length);
            switch (type)
            {
                case 0x21:
                    Version ??= Encoding.ASCII.GetString(sub);
                    break;
                case 0x22:
                    CommonName ??= Encoding.UTF8.GetString(sub);
                    break;
                case 0x23:
                    Cipher ??= Encoding.ASCII.GetString(sub);
                    break;
                case 0x24:
                    SignatureAlgorithm ??= Encoding.ASCII.GetString(sub);
                    break;
                case 0x25:
                    KeyAlgorithm ??= Encoding.ASCII.GetString(sub);
                    break;
            }

            offset += 3 + length;
        }
    }

    /// <summary>Whether the client connected to the proxy over TLS (PP2_CLIENT_SSL).</summary>
    public bool ClientUsedTls { get; }

    /// <summary>Whether the client sent a certificate on this connection (PP2_CLIENT_CERT_CONN).</summary>
    public bool ClientCertificateInConnection { get; }

    /// <summary>Whether the client sent a certificate on this TLS session, perhaps on an earlier connection (PP2_CLIENT_CERT_SESS).</summary>
    public bool ClientCertificateInSession { get; }

    /// <summary>Whether the proxy verified the client's certificate (the <c>verify</c> field is 0).</summary>
    public bool CertificateVerified { get; }

    /// <summary>The TLS version (sub-TLV 0x21, e.g. <c>TLSv1.3</c>), or null.</summary>
    public string? Version { get; }

    /// <summary>The client certificate's common name (sub-TLV 0x22), or null.</summary>
    public string? CommonName { get; }

    /// <summary>The cipher (sub-TLV 0x23), or null.</summary>
    public string? Cipher { get; }

    /// <summary>The client certificate's signature algorithm (sub-TLV 0x24), or null.</summary>
    public string? SignatureAlgorithm { get; }

    /// <summary>The client certificate's key algorithm (sub-TLV 0x25), or null.</summary>
    public string? KeyAlgorithm { get; }
}
