using System.Runtime.InteropServices;

namespace SocketServer.Internal;

/// <summary>
/// The few libc calls .NET has no API for: <c>statx</c> (to tell a socket file from any other file, and to know
/// it again by inode), <c>getgrnam_r</c> and <c>chown</c> (to give a socket file a group), <c>fcntl</c> (close-on-exec for a socket systemd passed). Linux only: statx has
/// the same layout on every Linux architecture, unlike <c>struct stat</c>, so no per-architecture offsets.
/// </summary>
/// <remarks>
/// "libc" resolves to the real C library: the runtime maps that name to <c>libc.so.6</c> (glibc) or musl's, since
/// <c>libc.so</c> itself is only a linker script.
/// </remarks>
internal static partial class LibC
{
    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const uint StatxType = 0x1;
    public const uint StatxMode = 0x2;
    public const uint StatxGid = 0x10;
    public const uint StatxIno = 0x100;

    /// <summary>The size of <c>struct statx</c>, spare fields included.</summary>
    public const int StatxSize = 256;

    /// <summary>The size of <c>struct group</c>: two pointers, the gid (padded to a pointer), one pointer.</summary>
    public static int GroupSize => 4 * IntPtr.Size;

    public const int ERange = 34;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Statx(int dirFd, string path, int flags, uint mask, Span<byte> buffer);

    [LibraryImport("libc", EntryPoint = "getgrnam_r", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int GetGroupByName(string name, Span<byte> group, Span<byte> buffer, nuint bufferLength, out nint result);

    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Chown(string path, uint owner, uint group);

    /// <summary>Sets FD_CLOEXEC on <paramref name="descriptor"/> (fcntl F_SETFD; Linux's values); returns 0 or -1.</summary>
    public static int SetCloseOnExec(int descriptor) => Fcntl(descriptor, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */);

    // fcntl is variadic; on Linux (x64 and arm64 alike) a third int argument is passed as a fixed one would be.
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int descriptor, int command, int argument);
}
