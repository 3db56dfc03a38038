using System.Runtime.InteropServices;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// The calls of a stream connection's reads straight into its own blocks and its sends of several blocks at once:
/// <c>recvmsg</c> and <c>sendmsg</c> rather than <c>readv</c> and <c>writev</c>, which take the same buffers but go
/// through the file layer first (<c>vfs_readv</c>, <c>rw_verify_area</c>, <c>fdget_pos</c>...: about 5% of the
/// server's samples in a ping-pong profile, where C's <c>recv</c> goes straight to the socket). One buffer is a plain
/// <c>recv</c> or <c>send</c>: <c>recvmsg</c>/<c>sendmsg</c> copy the <c>msghdr</c> in and import the iovec first,
/// about 5% of a ping-pong profile's samples beside C's <c>recv</c>.
/// </summary>
internal static unsafe partial class ReactorNative
{
    /// <summary><c>recvmsg</c> on the <c>struct msghdr</c> that begins <paramref name="message"/>.</summary>
    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint RecvMsg(int fd, MMsgHdr* message, int flags);

    /// <summary><c>sendmsg</c> of the <c>struct msghdr</c> that begins <paramref name="message"/>.</summary>
    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMsg(int fd, MMsgHdr* message, int flags);

    /// <summary>A stream read into <paramref name="count"/> buffers: <c>recv</c> for one, else <c>recvmsg</c> with no address and no flags.</summary>
    public static nint ReceiveInto(int fd, IoVector* vectors, int count)
    {
        if (count == 1)
        {
            return Recv(fd, vectors[0].Base, vectors[0].Length, 0);
        }

        MMsgHdr message = default;
        message.Vectors = vectors;
        message.VectorCount = (nuint)count;
        return RecvMsg(fd, &message, 0);
    }

    /// <summary>A stream send of <paramref name="count"/> buffers without SIGPIPE: <c>send</c> for one, else <c>sendmsg</c>.</summary>
    public static nint SendFrom(int fd, IoVector* vectors, int count)
    {
        if (count == 1)
        {
            return Send(fd, vectors[0].Base, vectors[0].Length, MsgNoSignal);
        }

        MMsgHdr message = default;
        message.Vectors = vectors;
        message.VectorCount = (nuint)count;
        return SendMsg(fd, &message, MsgNoSignal);
    }
}
