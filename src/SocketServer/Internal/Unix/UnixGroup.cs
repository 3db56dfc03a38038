using System.Globalization;
using System.Runtime.InteropServices;
using SocketServer.Internal;

namespace SocketServer.Internal.Unix;

/// <summary>Gives a socket file a group, as <c>chown :group path</c> does; Linux only.</summary>
internal static class UnixGroup
{
    /// <summary>
    /// Resolves <paramref name="group"/> (a group name, or a decimal gid as chown(1) accepts) and makes it the
    /// group of <paramref name="path"/>, leaving its owner alone.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    /// <exception cref="ArgumentException">No such group.</exception>
    /// <exception cref="IOException">chown failed, for example because the process is not in the group.</exception>
    public static void Apply(string path, string group)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Setting a socket file's group is implemented for Linux only.");
        }

        uint gid = Resolve(group);
        // An owner of -1 leaves the owner unchanged: only root may give a file away, any member may change its group.
        if (LibC.Chown(path, uint.MaxValue, gid) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"Cannot give '{path}' the group '{group}' (gid {gid}): {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    /// <summary>Looks the name up first (through NSS, so LDAP groups work too), then reads it as a number, as chown(1) does.</summary>
    public static uint Resolve(string group)
    {
        if (TryLookUp(group, out uint gid))
        {
            return gid;
        }

        if (uint.TryParse(group, NumberStyles.None, CultureInfo.InvariantCulture, out gid) && gid != uint.MaxValue)
        {
            return gid;
        }

        throw new ArgumentException($"The group '{group}' does not exist.", nameof(group));
    }

    private static bool TryLookUp(string name, out uint gid)
    {
        Span<byte> entry = stackalloc byte[LibC.GroupSize];
        // The strings (member list included) go in the caller's buffer; ERANGE asks for a bigger one.
        for (int size = 1024; size <= 1 << 20; size *= 4)
        {
            byte[] buffer = new byte[size];
            int error = LibC.GetGroupByName(name, entry, buffer, (nuint)buffer.Length, out nint result);
            if (error == LibC.ERange)
            {
                continue;
            }

            if (error != 0 || result == 0)
            {
                break;
            }

            // struct group: gr_name and gr_passwd pointers, then gr_gid.
            gid = MemoryMarshal.Read<uint>(entry[(2 * IntPtr.Size)..]);
            return true;
        }

        gid = 0;
        return false;
    }
}
