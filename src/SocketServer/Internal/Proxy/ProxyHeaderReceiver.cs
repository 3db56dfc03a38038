using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SocketServer.Internal.Reactor;

namespace SocketServer.Internal.Proxy;

/// <summary>
/// What the PROXY protocol asks of every transport: whom to trust, the blocking read of the serve loops, and the
/// non-blocking step of the loop transports (epoll and io_uring), which call it when the socket is readable.
/// </summary>
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
    /// <summary>
    /// Takes what a non-blocking socket holds of the header, without waiting (the loop transports, once the descriptor
    /// is readable): peeks, then takes exactly the header's bytes, so what follows stays in the socket for the handler.
    /// Returns true when the read ended (a header, a refusal, the peer gone, a failure), false when the socket has
    /// nothing more for now and the transport must wait for it to be readable again.
    /// </summary>
    public static unsafe bool ReadAvailable(ProxyHeaderRead read, int fd)
    {
        while (true)
        {
            Memory<byte> peekBuffer = read.PeekBuffer;
            nint peeked;
            fixed (byte* p = peekBuffer.Span)
            {
                peeked = ReactorNative.Recv(fd, p, (nuint)peekBuffer.Length, ReactorNative.MsgPeek | ReactorNative.MsgDontWait);
            }

            if (peeked < 0)
            {
                int errno = Marshal.GetLastSystemError();
                if (errno == ReactorNative.EIntr)
                {
                    continue;
                }

                if (errno == ReactorNative.EAgain)
                {
                    return false;
                }

                read.Fail("reading the header failed: " + ReactorErrors.Exception("recv", errno).Message);
                return true;
            }

            if (peeked == 0)
            {
                read.Taken(0);
                return true;
            }

            Memory<byte> take = read.TakeBuffer(read.Peeked((int)peeked));
            nint taken;
            fixed (byte* p = take.Span)
            {
                taken = ReactorNative.Recv(fd, p, (nuint)take.Length, ReactorNative.MsgDontWait);
            }

            if (taken < 0)
            {
                read.Fail("reading the header failed: " + ReactorErrors.Exception("recv", Marshal.GetLastSystemError()).Message);
                return true;
            }

            if (read.Taken((int)taken))
            {
                return true;
            }
        }
    }
}
