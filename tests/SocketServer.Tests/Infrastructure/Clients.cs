using System.Net;
using System.Net.Sockets;

namespace SocketServer.Tests.Infrastructure;

/// <summary>Blocking clients like those in CPython's test_socketserver, each bounded in time.</summary>
internal static class Clients
{
    public static Socket ConnectStream(EndPoint address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, address.AddressFamily == AddressFamily.Unix ? ProtocolType.Unspecified : ProtocolType.Tcp)
        {
            ReceiveTimeout = (int)TestTimeouts.Long.TotalMilliseconds,
            SendTimeout = (int)TestTimeouts.Long.TotalMilliseconds,
        };
        socket.Connect(address);
        return socket;
    }

    /// <summary>Sends <paramref name="message"/>, then reads until the peer closes or <paramref name="expectedLength"/> bytes came.</summary>
    public static byte[] StreamRoundTrip(EndPoint address, byte[] message, int expectedLength)
    {
        using Socket socket = ConnectStream(address);
        socket.Send(message);
        return ReceiveAtLeast(socket, expectedLength);
    }

    public static byte[] ReceiveAtLeast(Socket socket, int expectedLength)
    {
        var received = new List<byte>();
        byte[] buffer = new byte[8192];
        while (received.Count < expectedLength)
        {
            int n = socket.Receive(buffer);
            if (n == 0)
            {
                break;
            }

            received.AddRange(buffer.AsSpan(0, n));
        }

        return [.. received];
    }

    public static byte[] ReceiveToEnd(Socket socket) => ReceiveAtLeast(socket, int.MaxValue);

    public static Socket CreateDatagram(EndPoint address, TempDirectory? unixClientDirectory = null)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, address.AddressFamily == AddressFamily.Unix ? ProtocolType.Unspecified : ProtocolType.Udp)
        {
            ReceiveTimeout = (int)TestTimeouts.Long.TotalMilliseconds,
        };
        if (address.AddressFamily == AddressFamily.Unix && unixClientDirectory is not null)
        {
            // A Unix datagram client must bind a path of its own, or the server has nowhere to reply.
            socket.Bind(new UnixDomainSocketEndPoint(unixClientDirectory.NewSocketPath("client")));
        }

        return socket;
    }

    public static byte[] DatagramRoundTrip(EndPoint address, byte[] message, TempDirectory? unixClientDirectory = null)
    {
        using Socket socket = CreateDatagram(address, unixClientDirectory);
        socket.SendTo(message, address);
        byte[] buffer = new byte[65536];
        int n = socket.Receive(buffer);
        return buffer.AsSpan(0, n).ToArray();
    }
}
