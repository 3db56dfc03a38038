using System.Runtime.InteropServices;

namespace SocketServer.Internal.Reactor;

/// <summary>The batched datagram calls: <c>recvmmsg</c> and <c>sendmmsg</c>, many datagrams per system call.</summary>
internal static unsafe partial class ReactorNative
{
    /// <summary>Room for any socket address a datagram server receives from (<c>struct sockaddr_storage</c>).</summary>
    public const int SocketAddressStorage = 128;

    public const int EMsgSize = 90;

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int RecvMMsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMMsg(int fd, MMsgHdr* messages, uint count, int flags);

    /// <summary>
    /// One <c>struct mmsghdr</c> (64-bit Linux): a <c>struct msghdr</c> and the byte count the kernel fills in. The
    /// sequential layout pads as C does (the 4-byte lengths are followed by 4 bytes before the next pointer); the
    /// <c>msghdr</c>'s own tail padding is written out, so <see cref="Length"/> is at offset 56 and the size is 64.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Size = 64)]
    public struct MMsgHdr
    {
        /// <summary>The peer's address: read on send, written on receive.</summary>
        public byte* Name;

        /// <summary>The room at <see cref="Name"/> on receive (the kernel writes the real length); the length on send.</summary>
        public uint NameLength;

        /// <summary>The datagram's buffers.</summary>
        public IoVector* Vectors;

        /// <summary>How many buffers.</summary>
        public nuint VectorCount;

        /// <summary>Ancillary data (unused: null).</summary>
        public void* Control;

        /// <summary>The room for ancillary data (0).</summary>
        public nuint ControlLength;

        /// <summary>Flags the kernel reports on receive (MSG_TRUNC...).</summary>
        public int Flags;

        /// <summary>The end of <c>struct msghdr</c> (its size is a multiple of 8).</summary>
        public int HeaderPadding;

        /// <summary>The bytes received or sent.</summary>
        public uint Length;
    }
}
