using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SocketServer.Internal.Diagnostics;

/// <summary>
/// How many connections wait in a TCP listening socket's accept queue, as Linux reports it: for a socket in the
/// LISTEN state, <c>getsockopt(TCP_INFO)</c> puts the queue's length in <c>tcpi_unacked</c> (and its capacity in
/// <c>tcpi_sacked</c>). At <see cref="ServerLimits.MaxConnections"/> the server stops accepting, so this is the number
/// of clients waiting for a slot; no call on the request path can count them, as they were never accepted.
/// </summary>
internal static class ListenBacklog
{
    private const int IpProtocolTcp = 6;
    private const int TcpInfoOption = 11;
    private const byte TcpListenState = 10;

    // struct tcp_info: eight one-byte fields, then u32 rto, ato, snd_mss, rcv_mss, unacked, sacked, ...
    private const int UnackedOffset = 24;

    /// <summary>The accept queue's length, or null where it cannot be read (not Linux, not a listening TCP socket, closed).</summary>
    public static long? QueuedConnections(Socket socket)
    {
        if (!OperatingSystem.IsLinux() || socket.ProtocolType != ProtocolType.Tcp)
        {
            return null;
        }

        Span<byte> info = stackalloc byte[232];
        try
        {
            int length = socket.GetRawSocketOption(IpProtocolTcp, TcpInfoOption, info);
            if (length < UnackedOffset + sizeof(uint) || info[0] != TcpListenState)
            {
                return null;
            }
        }
        catch (Exception e) when (SocketErrors.IsSocketLevel(e))
        {
            return null;
        }

        return MemoryMarshal.Read<uint>(info[UnackedOffset..]);
    }
}
