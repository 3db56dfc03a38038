using System.Net;
using System.Net.Sockets;
using System.Text;
using SocketServer.Internal.Proxy;

namespace SocketServer.Tests.Proxy;

/// <summary>The PROXY header parser against HAProxy's <c>doc/proxy-protocol.txt</c>: what is valid, what is refused, and why.</summary>
public sealed class ProxyHeaderParserTests
{
    [Theory]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", "192.168.0.1:56324", "192.168.0.11:443")]
    [InlineData("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n", "0.0.0.0:0", "255.255.255.255:65535")]
    [InlineData("PROXY TCP6 2001:db8::1 ::1 1 2\r\n", "[2001:db8::1]:1", "[::1]:2")]
    [InlineData("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535")]
    public void V1LinesGiveTheirAddresses(string line, string source, string destination)
    {
        (ProxyParseStatus status, int length, ProxyHeader? header, string? reason) = ProxyHeaders.Parse(ProxyHeaders.V1(line));
        Assert.True(status == ProxyParseStatus.Complete, reason);
        Assert.Equal(line.Length, length);
        Assert.Equal(1, header!.Version);
        Assert.False(header.IsLocal);
        Assert.Equal(IPEndPoint.Parse(source), header.SourceAddress);
        Assert.Equal(IPEndPoint.Parse(destination), header.DestinationAddress);
        Assert.Equal(ProxyHeaders.Peer, header.ProxyAddress);
        Assert.Empty(header.Tlvs);
    }

    [Theory]
    [InlineData("PROXY UNKNOWN\r\n")]
    [InlineData("PROXY UNKNOWN ffff:f::1 ffff:f::2 65535 65535\r\n")]
    [InlineData("PROXY UNKNOWN anything at all, even garbage\r\n")]
    public void V1UnknownKeepsTheRealPeer(string line)
    {
        (ProxyParseStatus status, int length, ProxyHeader? header, _) = ProxyHeaders.Parse(ProxyHeaders.V1(line));
        Assert.Equal(ProxyParseStatus.Complete, status);
        Assert.Equal(line.Length, length);
        Assert.True(header!.IsLocal);
        Assert.Null(header.SourceAddress);
    }

    [Fact]
    public void TheLongestV1LineIs107Bytes()
    {
        string line = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
        Assert.Equal(107, line.Length);
        Assert.Equal(ProxyParseStatus.Complete, ProxyHeaders.Parse(ProxyHeaders.V1(line)).Status);
        string longer = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 655350\r\n";
        Assert.Equal(ProxyParseStatus.Invalid, ProxyHeaders.Parse(ProxyHeaders.V1(longer)).Status);
    }

    [Theory]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\n", "lone")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\rX\r\n", "lone")]
    [InlineData("PROXY TCP4 192.168.0.1\r192.168.0.11 56324 443", "CR not followed by LF")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324\r\n", "exactly two addresses")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443 1\r\n", "exactly two addresses")]
    [InlineData("PROXY TCP4  192.168.0.1 192.168.0.11 56324 443\r\n", "exactly two addresses")]
    [InlineData("PROXY TCP4 192.168.0.1  192.168.0.11 56324\r\n", "canonical IPv4")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443 \r\n", "exactly two addresses")]
    [InlineData("PROXY TCP4 192.168.000.1 192.168.0.11 56324 443\r\n", "canonical IPv4")]
    [InlineData("PROXY TCP4 192.168.0 192.168.0.11 56324 443\r\n", "canonical IPv4")]
    [InlineData("PROXY TCP4 192.168.0.256 192.168.0.11 56324 443\r\n", "canonical IPv4")]
    [InlineData("PROXY TCP4 ::1 192.168.0.11 56324 443\r\n", "canonical IPv4")]
    [InlineData("PROXY TCP6 192.168.0.1 ::1 56324 443\r\n", "not IPv6")]
    [InlineData("PROXY TCP6 fe80::1%eth0 ::1 56324 443\r\n", "not IPv6")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 056324 443\r\n", "port")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 65536 443\r\n", "port")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 -1 443\r\n", "port")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 +1 443\r\n", "port")]
    [InlineData("PROXY UDP4 192.168.0.1 192.168.0.11 1 443\r\n", "protocol")]
    [InlineData("PROXY tcp4 192.168.0.1 192.168.0.11 1 443\r\n", "protocol")]
    [InlineData("PROXY TCP4\r\n", "without addresses")]
    [InlineData("PROXY \r\n", "protocol")]
    [InlineData("PROXY\r\n", "does not start")]
    [InlineData("proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n", "does not start")]
    [InlineData("GET / HTTP/1.1\r\n", "does not start")]
    [InlineData("\r\r", "signature")]
    public void InvalidV1LinesAreRefusedWithAReason(string line, string reasonPart)
    {
        (ProxyParseStatus status, _, ProxyHeader? header, string? reason) = ProxyHeaders.Parse(ProxyHeaders.V1(line));
        Assert.Equal(ProxyParseStatus.Invalid, status);
        Assert.Null(header);
        Assert.Contains(reasonPart, reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AV1LineWithoutCrlfIsIncompleteUntil107Bytes()
    {
        Assert.Equal(ProxyParseStatus.Incomplete, ProxyHeaders.Parse(ProxyHeaders.V1("PROXY TCP4 1.2.3.4 ")).Status);
        Assert.Equal(ProxyParseStatus.Incomplete, ProxyHeaders.Parse(ProxyHeaders.V1("PROX")).Status);
        Assert.Equal(ProxyParseStatus.Incomplete, ProxyHeaders.Parse(ProxyHeaders.V1("PROXY UNKNOWN\r")).Status);
        (ProxyParseStatus status, _, _, string? reason) = ProxyHeaders.Parse(ProxyHeaders.V1("PROXY UNKNOWN " + new string('x', 93)));
        Assert.Equal(ProxyParseStatus.Invalid, status);
        Assert.Contains("107", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void HaproxysGoldenVectorParses()
    {
        byte[] vector = ProxyHeaders.HaproxyGoldenVector();
        (ProxyParseStatus status, int length, ProxyHeader? header, string? reason) = ProxyHeaders.Parse([.. vector, .. "GET /"u8]);
        Assert.True(status == ProxyParseStatus.Complete, reason);
        Assert.Equal(36, length);
        Assert.Equal(2, header!.Version);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 42), header.SourceAddress);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 1337), header.DestinationAddress);
        Assert.Equal("12345", header.Authority);
        ProxyTlv tlv = Assert.Single(header.Tlvs);
        Assert.Equal(ProxyTlv.Authority, tlv.Type);
        Assert.Equal("12345"u8.ToArray(), tlv.Value.ToArray());
    }

    [Fact]
    public void ATlvAfterTheDeclaredLengthIsNotParsed()
    {
        // The same test file of HAProxy's: bytes after 16 + len are the connection's data, whatever they look like.
        byte[] vector = ProxyHeaders.HaproxyGoldenVector();
        byte[] extra = ProxyHeaders.Tlv(ProxyTlv.Alpn, "h2");
        (ProxyParseStatus status, int length, ProxyHeader? header, _) = ProxyHeaders.Parse([.. vector, .. extra]);
        Assert.Equal(ProxyParseStatus.Complete, status);
        Assert.Equal(vector.Length, length);
        Assert.Null(header!.Alpn);
    }

    [Fact]
    public void V2GivesEveryTlv()
    {
        var source = IPEndPoint.Parse("[2001:db8::7]:40000");
        var destination = IPEndPoint.Parse("[2001:db8::1]:443");
        byte[] data = ProxyHeaders.V2Crc(source, destination,
            ProxyHeaders.Tlv(ProxyTlv.Alpn, "h2"),
            ProxyHeaders.Tlv(ProxyTlv.Authority, "exämple.org"),
            ProxyHeaders.Tlv(ProxyTlv.Noop, [0, 0, 0]),
            ProxyHeaders.Tlv(ProxyTlv.UniqueId, new byte[128]),
            ProxyHeaders.SslTlv(),
            ProxyHeaders.Tlv(ProxyTlv.NetworkNamespace, "blue"),
            ProxyHeaders.Tlv(0xE0, [1, 2, 3]));
        (ProxyParseStatus status, int length, ProxyHeader? header, string? reason) = ProxyHeaders.Parse(data);
        Assert.True(status == ProxyParseStatus.Complete, reason);
        Assert.Equal(data.Length, length);
        Assert.Equal(source, header!.SourceAddress);
        Assert.Equal(destination, header.DestinationAddress);
        Assert.Equal("h2", header.Alpn);
        Assert.Equal("exämple.org", header.Authority);
        Assert.Equal(128, header.UniqueId!.Value.Length);
        Assert.Equal("blue", header.NetworkNamespace);
        Assert.Equal([ProxyTlv.Alpn, ProxyTlv.Authority, ProxyTlv.Noop, ProxyTlv.UniqueId, ProxyTlv.Ssl, ProxyTlv.NetworkNamespace, 0xE0, ProxyTlv.Crc32C], header.Tlvs.Select(t => t.Type));
        ProxySslInfo ssl = header.Ssl!;
        Assert.True(ssl.ClientUsedTls);
        Assert.True(ssl.ClientCertificateInConnection);
        Assert.True(ssl.ClientCertificateInSession);
        Assert.True(ssl.CertificateVerified);
        Assert.Equal("TLSv1.3", ssl.Version);
        Assert.Equal("client.example", ssl.CommonName);
        Assert.Equal("TLS_AES_256_GCM_SHA384", ssl.Cipher);
        Assert.Equal("ECDSA-SHA256", ssl.SignatureAlgorithm);
        Assert.Equal("EC256", ssl.KeyAlgorithm);
    }

    [Fact]
    public void LocalKeepsTheRealPeerAndSkipsTheAddresses()
    {
        // HAProxy 2.6's health checks: LOCAL, family UNSPEC; and a LOCAL header that still carries addresses.
        foreach (byte[] data in new[]
        {
            ProxyHeaders.V2(null, null, local: true),
            ProxyHeaders.V2(null, null, local: true, crc: true),
            ProxyHeaders.V2(IPEndPoint.Parse("1.2.3.4:5"), IPEndPoint.Parse("5.6.7.8:9"), local: true),
        })
        {
            (ProxyParseStatus status, int length, ProxyHeader? header, string? reason) = ProxyHeaders.Parse(data);
            Assert.True(status == ProxyParseStatus.Complete, reason);
            Assert.Equal(data.Length, length);
            Assert.True(header!.IsLocal);
            Assert.Null(header.SourceAddress);
        }
    }

    [Fact]
    public void ProxyWithUnspecifiedFamilyKeepsTheRealPeer()
    {
        (ProxyParseStatus status, _, ProxyHeader? header, _) = ProxyHeaders.Parse(ProxyHeaders.V2(null, null));
        Assert.Equal(ProxyParseStatus.Complete, status);
        Assert.True(header!.IsLocal);
    }

    [Fact]
    public void UnixAddressesAreRead()
    {
        (ProxyParseStatus status, _, ProxyHeader? header, string? reason) = ProxyHeaders.Parse(ProxyHeaders.V2Unix("/run/client.sock", "/run/haproxy.sock"));
        Assert.True(status == ProxyParseStatus.Complete, reason);
        Assert.Equal("/run/client.sock", Assert.IsType<UnixDomainSocketEndPoint>(header!.SourceAddress).ToString());
        Assert.Equal("/run/haproxy.sock", header.DestinationAddress!.ToString());
    }

    public static TheoryData<string, byte[], string> InvalidV2 => new()
    {
        { "bad signature", [.. ProxyHeaders.Signature[..11], 0x0B, 0x21, 0x11, 0, 12, .. new byte[12]], "signature" },
        { "version 1", [.. ProxyHeaders.Signature, 0x11, 0x11, 0, 12, .. new byte[12]], "version" },
        { "version 3", [.. ProxyHeaders.Signature, 0x31, 0x11, 0, 12, .. new byte[12]], "version" },
        { "command 2", [.. ProxyHeaders.Signature, 0x22, 0x11, 0, 12, .. new byte[12]], "command" },
        { "family 4", [.. ProxyHeaders.Signature, 0x21, 0x41, 0, 12, .. new byte[12]], "family" },
        { "protocol 3", [.. ProxyHeaders.Signature, 0x21, 0x13, 0, 12, .. new byte[12]], "family" },
        { "UNSPEC family with a protocol", [.. ProxyHeaders.Signature, 0x21, 0x01, 0, 0], "family" },
        { "INET with 11 bytes", [.. ProxyHeaders.Signature, 0x21, 0x11, 0, 11, .. new byte[11]], "too short" },
        { "INET6 with 12 bytes", [.. ProxyHeaders.Signature, 0x21, 0x21, 0, 12, .. new byte[12]], "too short" },
        { "UNIX with 108 bytes", [.. ProxyHeaders.Signature, 0x21, 0x31, 0, 108, .. new byte[108]], "too short" },
        { "oversize", [.. ProxyHeaders.Signature, 0x21, 0x11, 0xFF, 0xFF], "16 KiB" },
        { "a TLV cut short", [.. ProxyHeaders.Signature, 0x21, 0x11, 0, 14, .. new byte[12], 0x04, 0x00], "cut short" },
        { "a TLV past the length", [.. ProxyHeaders.Signature, 0x21, 0x11, 0, 16, .. new byte[12], 0x04, 0x00, 0x02, 0x00], "runs past" },
        { "a CRC32C of 3 bytes", [.. ProxyHeaders.Signature, 0x21, 0x11, 0, 18, .. new byte[12], 0x03, 0x00, 0x03, 0, 0, 0], "length is not 4" },
        { "a UNIQUE_ID of 129 bytes", ProxyHeaders.V2(IPEndPoint.Parse("1.2.3.4:5"), IPEndPoint.Parse("1.2.3.4:6"), tlvs: ProxyHeaders.Tlv(ProxyTlv.UniqueId, new byte[129])), "128" },
        { "an SSL TLV of 4 bytes", ProxyHeaders.V2(IPEndPoint.Parse("1.2.3.4:5"), IPEndPoint.Parse("1.2.3.4:6"), tlvs: ProxyHeaders.Tlv(ProxyTlv.Ssl, [1, 0, 0, 0])), "SSL" },
        { "an SSL sub-TLV past its TLV", ProxyHeaders.V2(IPEndPoint.Parse("1.2.3.4:5"), IPEndPoint.Parse("1.2.3.4:6"), tlvs: ProxyHeaders.Tlv(ProxyTlv.Ssl, [1, 0, 0, 0, 0, 0x21, 0, 9, 1])), "SSL" },
        { "a Unix path without NUL", [.. ProxyHeaders.Signature, 0x21, 0x31, 0, 216, .. Enumerable.Repeat((byte)'a', 216)], "Unix path" },
    };

    [Theory]
    [MemberData(nameof(InvalidV2))]
    public void InvalidV2HeadersAreRefusedWithAReason(string name, byte[] data, string reasonPart)
    {
        (ProxyParseStatus status, _, ProxyHeader? header, string? reason) = ProxyHeaders.Parse(data);
        Assert.True(status == ProxyParseStatus.Invalid, name);
        Assert.Null(header);
        Assert.Contains(reasonPart, reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ACrc32CMismatchIsRefused()
    {
        byte[] data = ProxyHeaders.V2Crc(IPEndPoint.Parse("1.2.3.4:5"), IPEndPoint.Parse("1.2.3.4:6"), ProxyHeaders.Tlv(ProxyTlv.Authority, "a.example"));
        Assert.Equal(ProxyParseStatus.Complete, ProxyHeaders.Parse(data).Status);
        for (int i = 0; i < data.Length; i++)
        {
            // The length bytes change where the header ends; the checksum TLV's own type byte turns it into an
            // unknown TLV, so there is no checksum left to fail (HAProxy's parser does the same).
            if (i is 14 or 15 || i == data.Length - 7)
            {
                continue;
            }

            byte[] corrupt = [.. data];
            corrupt[i] ^= 0x40;
            (ProxyParseStatus status, _, _, string? reason) = ProxyHeaders.Parse(corrupt);
            Assert.True(status == ProxyParseStatus.Invalid, $"flipping byte {i} was accepted");
            if (i >= 16)
            {
                // Past the fixed part only the checksum can notice (a TLV type flip may break the structure first).
                Assert.True(reason!.Contains("CRC32C", StringComparison.Ordinal) || reason.Contains("TLV", StringComparison.Ordinal), reason);
            }
        }
    }

    [Fact]
    public void Crc32CIsCastagnoli()
    {
        // The check value of CRC-32C (iSCSI) for "123456789".
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }

    [Fact]
    public void TruncatedV2IsIncompleteAtEveryLength()
    {
        byte[] data = ProxyHeaders.V2Crc(IPEndPoint.Parse("1.2.3.4:5"), IPEndPoint.Parse("1.2.3.4:6"), ProxyHeaders.SslTlv());
        for (int i = 0; i < data.Length; i++)
        {
            Assert.Equal(ProxyParseStatus.Incomplete, ProxyHeaders.Parse(data[..i]).Status);
        }

        // And cut short by the peer's close: refused.
        (ProxyHeaderRead read, _) = ProxyHeaderFeed.Feed(data[..20], []);
        Assert.Equal(ProxyParseStatus.Invalid, read.Status);
        Assert.Contains("middle of the header", read.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void VersionsNotAcceptedAreRefused()
    {
        Assert.Contains("only v1", ProxyHeaders.Parse(ProxyHeaders.HaproxyGoldenVector(), ProxyProtocolVersions.V1).Reason, StringComparison.Ordinal);
        Assert.Contains("only v2", ProxyHeaders.Parse(ProxyHeaders.V1("PROXY UNKNOWN\r\n"), ProxyProtocolVersions.V2).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TheReadTakesTheHeaderAndLeavesThePayload()
    {
        byte[] payload = Encoding.ASCII.GetBytes("hello\r\nPROXY TCP4 6.6.6.6 6.6.6.6 1 1\r\n");
        foreach (byte[] header in new[] { ProxyHeaders.HaproxyGoldenVector(), ProxyHeaders.V1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n") })
        {
            byte[] stream = [.. header, .. payload];
            for (int cut = 0; cut < stream.Length; cut++)
            {
                (ProxyHeaderRead read, int taken) = ProxyHeaderFeed.Feed(stream, [cut]);
                Assert.Equal(ProxyParseStatus.Complete, read.Status);
                Assert.Equal(header.Length, taken);
            }
        }
    }

    [Fact]
    public void AClosedEmptyConnectionIsAProbe()
    {
        (ProxyHeaderRead read, int taken) = ProxyHeaderFeed.Feed([], []);
        Assert.Equal(0, taken);
        Assert.True(read.ClosedEmpty);
        Assert.Equal(ProxyParseStatus.Invalid, read.Status);
    }

    [Fact]
    public void TrustCoversNetworksAndMappedAddressesAndUnixOnlyWhenAsked()
    {
        var options = new ProxyProtocolOptions { TrustedNetworks = { IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("::1/128") } };
        Assert.True(ProxyHeaderReceiver.Trusts(options, IPEndPoint.Parse("10.1.2.3:4")));
        Assert.True(ProxyHeaderReceiver.Trusts(options, IPEndPoint.Parse("[::ffff:10.1.2.3]:4")));
        Assert.True(ProxyHeaderReceiver.Trusts(options, IPEndPoint.Parse("[::1]:4")));
        Assert.False(ProxyHeaderReceiver.Trusts(options, IPEndPoint.Parse("11.1.2.3:4")));
        Assert.False(ProxyHeaderReceiver.Trusts(options, new UnixDomainSocketEndPoint("/tmp/x")));
        Assert.False(ProxyHeaderReceiver.Trusts(new ProxyProtocolOptions(), IPEndPoint.Parse("127.0.0.1:4")));
        options.TrustUnixPeers = true;
        Assert.True(ProxyHeaderReceiver.Trusts(options, new UnixDomainSocketEndPoint("/tmp/x")));
    }

    [Fact]
    public void OptionsRefuseNonsense()
    {
        var options = new ProxyProtocolOptions();
        Assert.Throws<ArgumentOutOfRangeException>(() => options.HeaderTimeout = TimeSpan.Zero);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.Versions = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.Versions = (ProxyProtocolVersions)4);
        using var udp = new UdpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new DatagramRequestHandler());
        Assert.Throws<InvalidOperationException>(() => udp.ProxyProtocol = options);
    }
}
