using System.Runtime.InteropServices;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// The calls a client of the reactor needs on top of the server's: creating a socket, a nonblocking connect and
/// reading the connect's outcome (<c>SO_ERROR</c>), and <c>TCP_NODELAY</c>.
/// </summary>
internal static unsafe partial class ReactorNative
{
    public const int EInProgress = 115;

    public const int AfUnix = 1;
    public const int AfInet = 2;
    public const int AfInet6 = 10;
    public const int SockStream = 1;
    public const int SockDgram = 2;
    public const int SolSocket = 1;
    public const int SoError = 4;
    public const int IpProtoTcp = 6;
    public const int TcpNoDelay = 1;

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, byte* address, uint addressLength);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, uint* valueLength);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, uint valueLength);
}
