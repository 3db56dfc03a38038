using System.Net.Sockets;
using SocketServer.Internal.Proxy;

namespace SocketServer.Tests.Proxy;

/// <summary>
/// Drives a <see cref="ProxyHeaderRead"/> as a transport does (peek what has arrived, take what it says is the
/// header's), over an in-memory stream that arrives in pieces, so that splitting is tested at every point without a
/// socket per sample.
/// </summary>
internal static class ProxyHeaderFeed
{
    private static readonly Socket s_unused = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    /// <summary>Feeds <paramref name="stream"/>, arriving up to each of <paramref name="cuts"/> in turn; returns the read and how many bytes it took.</summary>
    public static (ProxyHeaderRead Read, int Taken) Feed(byte[] stream, IEnumerable<int> cuts, ProxyProtocolVersions versions = ProxyProtocolVersions.Any)
    {
        var read = new ProxyHeaderRead(s_unused, ProxyHeaders.Peer, new ProxyProtocolOptions { Versions = versions }, 0);
        int taken = 0;
        foreach (int arrived in cuts.Where(c => c > 0 && c < stream.Length).Order().Append(stream.Length))
        {
            while (arrived - taken > 0)
            {
                Memory<byte> peek = read.PeekBuffer;
                Assert.True(peek.Length > 0, "the read asked to peek nothing");
                int peeked = Math.Min(peek.Length, arrived - taken);
                stream.AsSpan(taken, peeked).CopyTo(peek.Span);
                int take = read.Peeked(peeked);
                Assert.InRange(take, 1, peeked);
                stream.AsSpan(taken, take).CopyTo(read.TakeBuffer(take).Span);
                taken += take;
                if (read.Taken(take))
                {
                    return (read, taken);
                }
            }
        }

        // Everything arrived and the header is still incomplete: the peer closes.
        read.Taken(0);
        return (read, taken);
    }
}
