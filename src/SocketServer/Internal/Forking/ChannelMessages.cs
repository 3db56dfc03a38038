using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace SocketServer.Internal.Forking;

/// <summary>
/// The messages on a worker's control channel (a Unix SOCK_SEQPACKET pair, so one send is one message).
/// Parent to worker: a welcome with the server's address, then one request per message with its descriptor.
/// Worker to parent: a hello with the token and its pid, then one status byte per finished request.
/// </summary>
internal static class ChannelMessages
{
    public const byte StreamRequest = 1;
    public const byte DatagramRequest = 2;

    /// <summary>The bit of a status byte that says the worker exits after this request.</summary>
    public const byte Leaving = 0x80;

    /// <summary>Room for the largest datagram plus the header.</summary>
    public const int MaxMessageSize = 65536 + 1024;

    public static byte Status(int status, bool leaving) => (byte)((status & 0x7f) | (leaving ? Leaving : 0));

    public static byte[] Hello(string token, int pid)
    {
        byte[] tokenBytes = System.Text.Encoding.ASCII.GetBytes(token);
        byte[] message = new byte[4 + tokenBytes.Length];
        BinaryPrimitives.WriteInt32LittleEndian(message, pid);
        tokenBytes.CopyTo(message, 4);
        return message;
    }

    public static (int Pid, string Token) ReadHello(ReadOnlySpan<byte> message) =>
        message.Length < 4
            ? (0, string.Empty)
            : (BinaryPrimitives.ReadInt32LittleEndian(message), System.Text.Encoding.ASCII.GetString(message[4..]));

    /// <summary>A request: kind, the client's address, and the datagram's bytes (empty for a connection).</summary>
    public static byte[] Request(byte kind, EndPoint? clientAddress, ReadOnlySpan<byte> packet)
    {
        ReadOnlySpan<byte> address = Serialize(clientAddress);
        byte[] message = new byte[1 + 2 + address.Length + packet.Length];
        message[0] = kind;
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(1), (ushort)address.Length);
        address.CopyTo(message.AsSpan(3));
        packet.CopyTo(message.AsSpan(3 + address.Length));
        return message;
    }

    public static (byte Kind, EndPoint? ClientAddress, byte[] Packet) ReadRequest(ReadOnlySpan<byte> message, EndPoint template)
    {
        byte kind = message[0];
        int addressLength = BinaryPrimitives.ReadUInt16LittleEndian(message[1..]);
        EndPoint? address = Deserialize(message.Slice(3, addressLength), template);
        return (kind, address, message[(3 + addressLength)..].ToArray());
    }

    /// <summary>The welcome: the parent server's bound address, so the worker's ServerAddress matches it.</summary>
    public static byte[] Welcome(EndPoint serverAddress) => Serialize(serverAddress).ToArray();

    public static EndPoint? ReadWelcome(ReadOnlySpan<byte> message, EndPoint template) => Deserialize(message, template);

    private static ReadOnlySpan<byte> Serialize(EndPoint? endPoint)
    {
        if (endPoint is null)
        {
            return [];
        }

        SocketAddress address = endPoint.Serialize();
        return address.Buffer.Span[..address.Size];
    }

    private static EndPoint? Deserialize(ReadOnlySpan<byte> bytes, EndPoint template)
    {
        if (bytes.IsEmpty)
        {
            return null;
        }

        var address = new SocketAddress(template.AddressFamily, bytes.Length);
        bytes.CopyTo(address.Buffer.Span);
        // Behind a PROXY header the client's family may differ from the server's (an IP client of a Unix listener).
        return address.Family is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 && template is not IPEndPoint
            ? new IPEndPoint(IPAddress.Any, 0).Create(address)
            : address.Family == AddressFamily.Unix && template is not UnixDomainSocketEndPoint
                ? new UnixDomainSocketEndPoint("x").Create(address)
                : template.Create(address);
    }
}
