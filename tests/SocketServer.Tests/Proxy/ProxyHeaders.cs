using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SocketServer.Internal.Proxy;

namespace SocketServer.Tests.Proxy;

/// <summary>Builds PROXY protocol headers as a proxy sends them, for the tests (the sender side of the spec).</summary>
internal static class ProxyHeaders
{
    public static readonly byte[] Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>HAProxy's golden vector (reg-tests/connection/proxy_protocol_tlv_validation.vtc): TCP4 127.0.0.1:42 → 127.0.0.1:1337, AUTHORITY "12345".</summary>
    public static byte[] HaproxyGoldenVector() =>
    [
        .. Signature, 0x21, 0x11, 0x00, 0x14,
        0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x2a, 0x05, 0x39,
        0x02, 0x00, 0x05, 0x31, 0x32, 0x33, 0x34, 0x35,
    ];

    public static byte[] V1(string line) => Encoding.ASCII.GetBytes(line);

    public static byte[] V1(IPEndPoint source, IPEndPoint destination) =>
        V1($"PROXY {(source.AddressFamily == AddressFamily.InterNetwork ? "TCP4" : "TCP6")} {source.Address} {destination.Address} {source.Port} {destination.Port}\r\n");

    public static byte[] Tlv(byte type, ReadOnlySpan<byte> value)
    {
        byte[] tlv = new byte[3 + value.Length];
        tlv[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(tlv.AsSpan(1), (ushort)value.Length);
        value.CopyTo(tlv.AsSpan(3));
        return tlv;
    }

    public static byte[] Tlv(byte type, string value) => Tlv(type, Encoding.UTF8.GetBytes(value));

    /// <summary>A v2 PROXY (or LOCAL) header from <paramref name="source"/> to <paramref name="destination"/> (null: UNSPEC), with TLVs and, if asked, a CRC32C TLV last.</summary>
    public static byte[] V2(IPEndPoint? source, IPEndPoint? destination, bool local = false, bool crc = false, params byte[][] tlvs)
    {
        var body = new List<byte>();
        byte family = 0x00;
        if (source is not null && destination is not null)
        {
            bool v6 = source.AddressFamily == AddressFamily.InterNetworkV6;
            family = v6 ? (byte)0x21 : (byte)0x11;
            body.AddRange(source.Address.GetAddressBytes());
            body.AddRange(destination.Address.GetAddressBytes());
            body.Add((byte)(source.Port >> 8));
            body.Add((byte)source.Port);
            body.Add((byte)(destination.Port >> 8));
            body.Add((byte)destination.Port);
        }

        foreach (byte[] tlv in tlvs)
        {
            body.AddRange(tlv);
        }

        int crcAt = -1;
        if (crc)
        {
            crcAt = 16 + body.Count + 3;
            body.AddRange(Tlv(ProxyTlv.Crc32C, [0, 0, 0, 0]));
        }

        byte[] header = [.. Signature, local ? (byte)0x20 : (byte)0x21, family, (byte)(body.Count >> 8), (byte)body.Count, .. body];
        if (crcAt >= 0)
        {
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(crcAt), Crc32C.Compute(header));
        }

        return header;
    }

    /// <summary>A v2 PROXY header with TLVs and a CRC32C TLV last.</summary>
    public static byte[] V2Crc(IPEndPoint? source, IPEndPoint? destination, params byte[][] tlvs) => V2(source, destination, local: false, crc: true, tlvs);

    /// <summary>A v2 header over Unix addresses (family 0x31).</summary>
    public static byte[] V2Unix(string source, string destination)
    {
        byte[] block = new byte[216];
        Encoding.UTF8.GetBytes(source).CopyTo(block, 0);
        Encoding.UTF8.GetBytes(destination).CopyTo(block, 108);
        return [.. Signature, 0x21, 0x31, 0x00, 216, .. block];
    }

    /// <summary>An SSL TLV as HAProxy's <c>proxy-v2-options ssl,cert-cn,ssl-cipher,cert-sig,cert-key</c> sends it.</summary>
    public static byte[] SslTlv(bool verified = true) =>
        Tlv(ProxyTlv.Ssl, [
            0x07, 0, 0, 0, verified ? (byte)0 : (byte)1,
            .. Tlv(0x21, "TLSv1.3"), .. Tlv(0x22, "client.example"), .. Tlv(0x23, "TLS_AES_256_GCM_SHA384"),
            .. Tlv(0x24, "ECDSA-SHA256"), .. Tlv(0x25, "EC256"),
        ]);

    /// <summary>Parses <paramref name="data"/> whole.</summary>
    public static (ProxyParseStatus Status, int Length, ProxyHeader? Header, string? Reason) Parse(byte[] data, ProxyProtocolVersions versions = ProxyProtocolVersions.Any)
    {
        ProxyParseStatus status = ProxyHeaderParser.Parse(data, versions, Peer, out int length, out ProxyHeader? header, out string? reason);
        return (status, length, header, reason);
    }

    public static readonly IPEndPoint Peer = new(IPAddress.Parse("10.9.8.7"), 5555);
}
