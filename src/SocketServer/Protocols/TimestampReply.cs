using System.Text;

namespace SocketServer.Protocols;

/// <summary>Builds the timestamp protocol's reply.</summary>
internal static class TimestampReply
{
    public static byte[] Build(ReadOnlySpan<byte> message)
    {
        byte[] prefix = Encoding.ASCII.GetBytes($"[{CTime.Now()}] ");
        byte[] reply = new byte[prefix.Length + message.Length];
        prefix.CopyTo(reply, 0);
        message.CopyTo(reply.AsSpan(prefix.Length));
        return reply;
    }
}
