using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SocketServer.Internal.Proxy;

/// <summary>What the PROXY protocol asks of every transport: whom to trust, and the blocking read of the serve loops.</summary>
internal static class ProxyHeaderReceiver
{
    /// <summary>Whether <paramref name="peer"/> may send a header: an IP source in a trusted network, or a Unix peer when Unix peers are trusted.</summary>
    public static bool Trusts(ProxyProtocolOptions options, EndPoint? peer) => peer switch
    {
        IPEndPoint ip => options.IsTrusted(ip.Address),
        UnixDomainSocketEndPoint => options.TrustUnixPeers,
        _ => false,
    };

    /// <summary>The refusal reason of a header that was not complete in time.</summary>
    public static string TimedOut(ProxyProtocolOptions options) =>
        string.Create(CultureInfo.InvariantCulture, $"no complete header within ProxyProtocolOptions.HeaderTimeout ({options.HeaderTimeout.TotalSeconds:0.###} s)");

    /// <summary>The time left before the header's deadline.</summary>
    public static TimeSpan TimeLeft(ProxyHeaderRead read, TimeProvider time) =>
        read.Options.HeaderTimeout - time.GetElapsedTime(read.StartedAt);

    /// <summary>
    /// Reads the header on the calling thread (the synchronous, threading and forking loops), blocking for at most
    /// <see cref="ProxyProtocolOptions.HeaderTimeout"/> from the accept.
    /// </summary>
    public static void ReceiveBlocking(ProxyHeaderRead read, TimeProvider time)
    {
        Socket socket = read.Socket;
        try
        {
            while (true)
            {
                TimeSpan left = TimeLeft(read, time);
                if (left <= TimeSpan.Zero)
                {
                    read.Fail(TimedOut(read.Options));
                    return;
                }

                if (!socket.Poll(left, SelectMode.SelectRead))
                {
                    continue;
                }

                int peeked = socket.Receive(read.PeekBuffer.Span, SocketFlags.Peek);
                if (peeked == 0)
                {
                    read.Taken(0);
                    return;
                }

                int taken = socket.Receive(read.TakeBuffer(read.Peeked(peeked)).Span, SocketFlags.None);
                if (read.Taken(taken))
                {
                    return;
                }
            }
        }
        catch (Exception e) when (SocketErrors.IsSocketLevel(e))
        {
            read.Fail("reading the header failed: " + e.Message);
        }
    }
}
