namespace SocketServer.Internal;

/// <summary>Platform constants Python reads from the socket module.</summary>
internal static class SocketDefaults
{
    /// <summary>
    /// SOMAXCONN, the listen backlog Python 3.15 uses by default: the kernel's own limit on Linux, otherwise the
    /// platform header's value.
    /// </summary>
    public static int SomaxConn { get; } = ReadSomaxConn();

    private static int ReadSomaxConn()
    {
        if (OperatingSystem.IsWindows())
        {
            return 0x7fffffff;
        }

        try
        {
            if (OperatingSystem.IsLinux() &&
                int.TryParse(File.ReadAllText("/proc/sys/net/core/somaxconn").Trim(), out int value) && value > 0)
            {
                return value;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return OperatingSystem.IsLinux() ? 4096 : 128;
    }
}
