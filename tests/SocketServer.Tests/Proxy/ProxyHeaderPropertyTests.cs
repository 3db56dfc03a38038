using System.Net;
using CsCheck;
using SocketServer.Internal.Proxy;

namespace SocketServer.Tests.Proxy;

/// <summary>
/// Properties of the PROXY header parser over generated and mutated input (reliability.md §8): it never throws, never
/// claims more than it was given, gives the same answer however the input is split, and reads back what a proxy wrote.
/// </summary>
public sealed class ProxyHeaderPropertyTests
{
    private const int Iterations = 3000;

    private static readonly byte[][] s_seeds =
    [
        ProxyHeaders.HaproxyGoldenVector(),
        ProxyHeaders.V2Crc(IPEndPoint.Parse("[2001:db8::1]:1"), IPEndPoint.Parse("[::1]:2"), ProxyHeaders.SslTlv(), ProxyHeaders.Tlv(ProxyTlv.UniqueId, "id")),
        ProxyHeaders.V2(null, null, local: true, crc: true),
        ProxyHeaders.V2Unix("/a", "/b"),
        ProxyHeaders.V1("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"),
        ProxyHeaders.V1("PROXY TCP6 2001:db8::1 ::1 1 2\r\n"),
        ProxyHeaders.V1("PROXY UNKNOWN\r\n"),
    ];

    // A seed with a few bytes changed, cut, or extended: mostly near-valid input, where parsers break.
    private static readonly Gen<byte[]> s_mutated =
        Gen.Select(Gen.Int[0, s_seeds.Length - 1], Gen.Select(Gen.Int[0, 300], Gen.Byte).Array[0, 4], Gen.Int[0, 300], Gen.Byte.Array[0, 40])
            .Select(static (seed, flips, cut, tail) =>
            {
                byte[] data = [.. s_seeds[seed], .. tail];
                foreach ((int at, byte value) in flips)
                {
                    data[at % data.Length] = value;
                }

                return data[..Math.Min(data.Length, Math.Max(1, cut))];
            });

    private static readonly Gen<byte[]> s_random = Gen.OneOf(
        Gen.Byte.Array[0, 300],
        Gen.Byte.Array[0, 300].Select(static tail => (byte[])[.. ProxyHeaders.Signature, .. tail]),
        Gen.Byte.Array[0, 120].Select(static tail => (byte[])[.. "PROXY "u8, .. tail]));

    private static readonly Gen<byte[]> s_input = Gen.OneOf(s_mutated, s_random);

    [Fact]
    public void AnyInputGivesAnAnswerAndNeverClaimsMoreThanItWasGiven()
    {
        s_input.Sample(data =>
        {
            ProxyParseStatus status = ProxyHeaderParser.Parse(data, ProxyProtocolVersions.Any, ProxyHeaders.Peer, out int length, out ProxyHeader? header, out string? reason);
            switch (status)
            {
                case ProxyParseStatus.Complete:
                    Assert.InRange(length, ProxyHeaderParser.MinLength, Math.Min(data.Length, ProxyHeaderParser.MaxHeaderLength));
                    Assert.NotNull(header);
                    Assert.Equal(data[..length], header.Raw.ToArray());
                    break;
                case ProxyParseStatus.Invalid:
                    Assert.False(string.IsNullOrEmpty(reason));
                    Assert.Null(header);
                    break;
                default:
                    Assert.Null(header);
                    Assert.True(data.Length < ProxyHeaderParser.MaxHeaderLength);
                    break;
            }
        }, iter: Iterations);
    }

    [Fact]
    public void SplittingTheInputAnywhereGivesTheSameAnswer()
    {
        Gen.Select(s_input, Gen.Int[0, 320].Array[0, 6]).Sample((data, cuts) =>
        {
            ProxyParseStatus whole = ProxyHeaderParser.Parse(data, ProxyProtocolVersions.Any, ProxyHeaders.Peer, out int length, out ProxyHeader? expected, out _);
            (ProxyHeaderRead read, int taken) = ProxyHeaderFeed.Feed(data, cuts);
            if (whole == ProxyParseStatus.Complete)
            {
                Assert.Equal(ProxyParseStatus.Complete, read.Status);
                Assert.Equal(length, taken);
                Assert.Equal(expected!.Raw.ToArray(), read.Header!.Raw.ToArray());
                Assert.Equal(expected.SourceAddress, read.Header.SourceAddress);
            }
            else
            {
                // Incomplete whole means the peer closes before the end: refused too.
                Assert.Equal(ProxyParseStatus.Invalid, read.Status);
                Assert.InRange(taken, 0, data.Length);
            }
        }, iter: Iterations);
    }

    [Fact]
    public void WhatAProxyWritesReadsBack()
    {
        Gen<IPEndPoint> v4 = Gen.Select(Gen.UInt, Gen.Int[0, 65535]).Select(static (a, p) => new IPEndPoint(new IPAddress(a), p));
        Gen<IPEndPoint> v6 = Gen.Select(Gen.Byte.Array[16], Gen.Int[0, 65535]).Select(static (a, p) => new IPEndPoint(new IPAddress(a), p));
        Gen<(IPEndPoint, IPEndPoint)> pair = Gen.OneOf(Gen.Select(v4, v4), Gen.Select(v6, v6));
        Gen<byte[][]> tlvs = Gen.Select(Gen.Byte[0x40, 0xFF], Gen.Byte.Array[0, 50]).Select(static (t, v) => ProxyHeaders.Tlv(t, v)).Array[0, 4];
        Gen.Select(pair, tlvs, Gen.Bool, Gen.Bool).Sample((addresses, extra, crc, v1) =>
        {
            (IPEndPoint source, IPEndPoint destination) = addresses;
            byte[] data = v1 ? ProxyHeaders.V1(source, destination) : ProxyHeaders.V2(source, destination, crc: crc, tlvs: extra);
            (ProxyParseStatus status, int length, ProxyHeader? header, string? reason) = ProxyHeaders.Parse(data);
            Assert.True(status == ProxyParseStatus.Complete, reason);
            Assert.Equal(data.Length, length);
            Assert.Equal(source, header!.SourceAddress);
            Assert.Equal(destination, header.DestinationAddress);
            if (!v1)
            {
                Assert.Equal(extra.Length + (crc ? 1 : 0), header.Tlvs.Count);
            }
        }, iter: Iterations);
    }
}
