using System.Net;
using System.Net.Sockets;

namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>Small blocking clients, each bounded in time, for the tests that do not need a real peer.</summary>
internal static class Clients
{
    public static Socket Connect(EndPoint address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, address.AddressFamily == AddressFamily.Unix ? ProtocolType.Unspecified : ProtocolType.Tcp)
        {
            ReceiveTimeout = (int)TestTimeouts.Long.TotalMilliseconds,
            SendTimeout = (int)TestTimeouts.Long.TotalMilliseconds,
        };
        socket.Connect(address);
        return socket;
    }

    /// <summary>Sends <paramref name="message"/>, ends the sending side, and reads until the server closes.</summary>
    public static byte[] StreamRoundTrip(EndPoint address, byte[] message)
    {
        using Socket socket = Connect(address);
        socket.Send(message);
        socket.Shutdown(SocketShutdown.Send);
        var received = new List<byte>();
        byte[] buffer = new byte[4096];
        int n;
        while ((n = socket.Receive(buffer)) > 0)
        {
            received.AddRange(buffer.AsSpan(0, n));
        }

        return [.. received];
    }

    /// <summary>Sends one datagram and returns the reply; a Unix client binds a path in <paramref name="directory"/>.</summary>
    public static byte[] DatagramRoundTrip(EndPoint address, byte[] message, TempDirectory directory)
    {
        bool unix = address.AddressFamily == AddressFamily.Unix;
        using var socket = new Socket(address.AddressFamily, SocketType.Dgram, unix ? ProtocolType.Unspecified : ProtocolType.Udp)
        {
            ReceiveTimeout = (int)TestTimeouts.Long.TotalMilliseconds,
        };
        if (unix)
        {
            socket.Bind(new UnixDomainSocketEndPoint(directory.NewPath("client")));
        }

        socket.SendTo(message, address);
        byte[] buffer = new byte[65536];
        int received = socket.Receive(buffer);
        return buffer.AsSpan(0, received).ToArray();
    }

    /// <summary>Sends one datagram and expects nothing back; a Unix client binds a path in <paramref name="directory"/> all the same.</summary>
    public static void DatagramSend(EndPoint address, byte[] message, TempDirectory directory)
    {
        bool unix = address.AddressFamily == AddressFamily.Unix;
        using var socket = new Socket(address.AddressFamily, SocketType.Dgram, unix ? ProtocolType.Unspecified : ProtocolType.Udp);
        if (unix)
        {
            socket.Bind(new UnixDomainSocketEndPoint(directory.NewPath("client")));
        }

        Assert.Equal(message.Length, socket.SendTo(message, address));
    }

    public static byte[] RoundTrip(ReadyAddress address, byte[] message, TempDirectory directory) =>
        address.Scheme is "tcp" or "unix"
            ? StreamRoundTrip(address.EndPoint, message)
            : DatagramRoundTrip(address.EndPoint, message, directory);
}
