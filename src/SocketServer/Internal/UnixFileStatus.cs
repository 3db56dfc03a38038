using System.Runtime.InteropServices;

namespace SocketServer.Internal;

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
    /// <summary>Whether this platform can read file status (Linux only, so far).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Whether <paramref name="other"/> is the same file: same device and inode, not merely the same path.</summary>
    public bool IsSameFile(UnixFileStatus other) =>
        DeviceMajor == other.DeviceMajor && DeviceMinor == other.DeviceMinor && Inode == other.Inode;

    /// <summary>Reads the status of <paramref name="path"/> without following a final symbolic link.</summary>
    /// <returns>The status, or <see langword="null"/> when nothing exists at the path.</returns>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    /// <exception cref="IOException">The path exists but cannot be examined (for example, permission denied).</exception>
    public static UnixFileStatus? Read(string path)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("Reading a socket file's status is implemented for Linux only.");
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

    private static UnixFileKind KindOf(ushort mode) => (mode & 0xF000) switch
    {
        0xC000 => UnixFileKind.Socket,
        0x8000 => UnixFileKind.RegularFile,
        0x4000 => UnixFileKind.Directory,
        0xA000 => UnixFileKind.SymbolicLink,
        _ => UnixFileKind.Other,
    };
}
