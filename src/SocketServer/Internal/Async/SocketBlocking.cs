using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SocketServer.Internal.Async;

/// <summary>
/// Sets a socket's O_NONBLOCK flag in the kernel and in .NET's view of it alike: a socket made from an accepted
/// descriptor may not know the flag <c>accept4</c> gave it, so <see cref="Socket.Blocking"/> alone could be a no-op.
/// </summary>
internal static partial class SocketBlocking
{
    private const int FionBio = 0x5421;

    /// <summary>Makes <paramref name="socket"/> blocking or not, for the kernel and for .NET.</summary>
    public static unsafe void Set(Socket socket, bool blocking)
    {
        socket.Blocking = !blocking;
        socket.Blocking = blocking;
        int value = blocking ? 0 : 1;
        _ = Ioctl((int)socket.Handle, FionBio, &value);
    }

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int Ioctl(int fd, nuint request, int* value);
}
