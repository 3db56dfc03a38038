using System.Runtime.InteropServices;

namespace SocketServer.Internal.Reactor;

/// <summary>The calls of a stream connection's reads straight into its own blocks.</summary>
internal static unsafe partial class ReactorNative
{
    [LibraryImport("libc", EntryPoint = "readv", SetLastError = true)]
    public static partial nint ReadV(int fd, IoVector* vectors, int count);
}
