using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SocketServer.Hosting.Tests.Infrastructure;

/// <summary>Blocking loopback clients with bounded waits.</summary>
internal static class Clients
{
    private static readonly int s_timeout = (int)TestTimeouts.Long.TotalMilliseconds;

    public static Socket Connect(EndPoint address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, address.AddressFamily == AddressFamily.Unix ? ProtocolType.Unspecified : ProtocolType.Tcp)
        {
            ReceiveTimeout = s_timeout,
            SendTimeout = s_timeout,
        };
        try
        {
            socket.Connect(address);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="line"/> (a newline is added) and reads one line back.</summary>
    public static string RoundTrip(Socket socket, string line)
    {
        socket.Send(Encoding.UTF8.GetBytes(line + "\n"));
        return ReadLine(socket);
    }

    /// <summary>Reads up to and including the next newline; the text without it, or null at the end of the stream.</summary>
    public static string? TryReadLine(Socket socket)
    {
        var line = new List<byte>();
        byte[] one = new byte[1];
        while (socket.Receive(one) == 1)
        {
            if (one[0] == (byte)'\n')
            {
                return Encoding.UTF8.GetString([.. line]);
            }

            line.Add(one[0]);
        }

        Assert.Empty(line);
        return null;
    }

    public static string ReadLine(Socket socket) => TryReadLine(socket) ?? throw new IOException("The server closed the connection instead of answering.");

    /// <summary>Whether the server closed the connection: the next read sees the end of the stream (or a reset).</summary>
    public static bool SeesEndOfStream(Socket socket)
    {
        try
        {
            return socket.Receive(new byte[1]) == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }

    /// <summary>Sends one datagram and returns the reply.</summary>
    public static string DatagramRoundTrip(EndPoint address, string message)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = s_timeout };
        socket.SendTo(Encoding.UTF8.GetBytes(message), address);
        byte[] reply = new byte[1024];
        int received = socket.Receive(reply);
        return Encoding.UTF8.GetString(reply, 0, received);
    }
}
