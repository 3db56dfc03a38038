using System.Runtime.InteropServices;
using SocketServer.Internal;

namespace SocketServer.Internal.Unix;

/// <summary>
/// What <c>lstat</c> would say of a path: its kind, the device and inode that identify it, and its group.
/// Read with <c>statx</c> on Linux; elsewhere <see cref="IsSupported"/> is false and nothing is read.
/// </summary>
/// <param name="Kind">The file's kind; a symbolic link is reported as itself, not followed.</param>
/// <param name="DeviceMajor">The major number of the device holding the file.</param>
/// <param name="DeviceMinor">The minor number of the device holding the file.</param>
/// <param name="Inode">The file's inode number.</param>
/// <param name="GroupId">The file's group.</param>
internal readonly record struct UnixFileStatus(UnixFileKind Kind, uint DeviceMajor, uint DeviceMinor, ulong Inode, uint GroupId)
{
    private static readonly Lazy<bool> s_isSupported = new(ProbeStatx);

    /// <summary>
    /// Whether this platform can read file status: Linux, with a C library that has statx (glibc 2.28 and later,
    /// musl 1.2.5 and later) and a kernel that implements it (4.11 and later).
    /// </summary>
    public static bool IsSupported => s_isSupported.Value;

    /// <summary>Whether <paramref name="other"/> is the same file: same device and inode, not merely the same path.</summary>
    public bool IsSameFile(UnixFileStatus other) =>
        DeviceMajor == other.DeviceMajor && DeviceMinor == other.DeviceMinor && Inode == other.Inode;

    /// <summary>Reads the status of <paramref name="path"/> without following a final symbolic link.</summary>
    /// <returns>The status, or <see langword="null"/> when nothing exists at the path.</returns>
    /// <exception cref="PlatformNotSupportedException"><see cref="IsSupported"/> is false.</exception>
    /// <exception cref="IOException">The path exists but cannot be examined (for example, permission denied).</exception>
    public static UnixFileStatus? Read(string path)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("Reading a socket file's status needs statx (Linux).");
        }

        Span<byte> buffer = stackalloc byte[LibC.StatxSize];
        uint wanted = LibC.StatxType | LibC.StatxMode | LibC.StatxIno | LibC.StatxGid;
        if (LibC.Statx(LibC.AtFdCwd, path, LibC.AtSymlinkNoFollow, wanted, buffer) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            // ENOENT, or ENOTDIR when a parent is not a directory: either way nothing is there to act on.
            if (errno is 2 or 20)
            {
                return null;
            }

            throw new IOException($"Cannot examine '{path}': {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }

        // Offsets of struct statx (linux/stat.h), the same on every architecture; values in native byte order.
        ushort mode = MemoryMarshal.Read<ushort>(buffer[28..]);
        return new UnixFileStatus(
            KindOf(mode),
            DeviceMajor: MemoryMarshal.Read<uint>(buffer[136..]),
            DeviceMinor: MemoryMarshal.Read<uint>(buffer[140..]),
            Inode: MemoryMarshal.Read<ulong>(buffer[32..]),
            GroupId: MemoryMarshal.Read<uint>(buffer[24..]));
    }

    private static bool ProbeStatx()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            Span<byte> buffer = stackalloc byte[LibC.StatxSize];
            // ENOSYS: the C library has statx but the kernel (or a seccomp filter) does not.
            return LibC.Statx(LibC.AtFdCwd, "/", 0, LibC.StatxType, buffer) == 0 || Marshal.GetLastPInvokeError() != 38;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static UnixFileKind KindOf(ushort mode) => (mode & 0xF000) switch
    {
        0xC000 => UnixFileKind.Socket,
        0x8000 => UnixFileKind.RegularFile,
        0x4000 => UnixFileKind.Directory,
        0xA000 => UnixFileKind.SymbolicLink,
        _ => UnixFileKind.Other,
    };
}
