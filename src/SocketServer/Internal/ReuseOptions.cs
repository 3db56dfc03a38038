using System.Net.Sockets;

namespace SocketServer.Internal;

/// <summary>
/// Sets SO_REUSEADDR and SO_REUSEPORT as Python does. .NET's <see cref="SocketOptionName.ReuseAddress"/> sets
/// both on Linux, which would let two servers share a port without error, so the raw options are used instead.
/// </summary>
internal static class ReuseOptions
{
    public static void SetReuseAddress(Socket socket)
    {
        if (OperatingSystem.IsLinux())
        {
            socket.SetRawSocketOption(1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, BitConverter.GetBytes(1));
        }
        else if (OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            socket.SetRawSocketOption(0xffff /* SOL_SOCKET */, 0x4 /* SO_REUSEADDR */, BitConverter.GetBytes(1));
        }
        else
        {
            // Windows: the option is SO_REUSEADDR itself, with Windows' (hijack-prone) meaning, as in CPython.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        }
    }

    /// <summary>Sets SO_REUSEPORT where the platform has it; returns whether it did.</summary>
    public static bool TrySetReusePort(Socket socket)
    {
        if (OperatingSystem.IsLinux())
        {
            socket.SetRawSocketOption(1 /* SOL_SOCKET */, 15 /* SO_REUSEPORT */, BitConverter.GetBytes(1));
            return true;
        }

        if (OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            socket.SetRawSocketOption(0xffff /* SOL_SOCKET */, 0x200 /* SO_REUSEPORT */, BitConverter.GetBytes(1));
            return true;
        }

        return false;
    }
}
