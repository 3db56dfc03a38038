using System.Globalization;
using System.Net;

namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>
/// Which process holds the server side of a loopback TCP connection, read from Linux's <c>/proc</c>: the connection's
/// inode in <c>/proc/net/tcp</c>, then the process whose descriptors include <c>socket:[inode]</c>. Lets a test see
/// which of several processes sharing a port (SO_REUSEPORT) accepted a connection, without any banner.
/// </summary>
internal static class SocketOwners
{
    /// <summary>The id among <paramref name="processIds"/> holding the accepted end of <paramref name="client"/>'s connection, or null.</summary>
    public static int? AcceptedBy(IPEndPoint server, IPEndPoint client, IReadOnlyList<int> processIds)
    {
        string local = Hex(server);
        string remote = Hex(client);
        string? inode = null;
        foreach (string line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 9 && fields[1] == local && fields[2] == remote)
            {
                inode = fields[9];
                break;
            }
        }

        if (inode is null or "0")
        {
            return null;
        }

        string target = $"socket:[{inode}]";
        foreach (int pid in processIds)
        {
            foreach (string fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
            {
                try
                {
                    if (new FileInfo(fd).LinkTarget == target)
                    {
                        return pid;
                    }
                }
                catch (IOException)
                {
                    // The descriptor closed while we looked.
                }
            }
        }

        return null;
    }

    // /proc/net/tcp writes an IPv4 address as the 32-bit value in host order (little-endian here), then the port.
    private static string Hex(IPEndPoint endPoint)
    {
        byte[] bytes = endPoint.Address.GetAddressBytes();
        uint value = BitConverter.ToUInt32(bytes);
        return string.Create(CultureInfo.InvariantCulture, $"{value:X8}:{endPoint.Port:X4}");
    }
}
