using System.Net;
using System.Net.Sockets;
using SocketServer.Internal;

namespace SocketServer.Internal.Unix;

/// <summary>Tells a Linux abstract name from a file-system path in a <see cref="UnixDomainSocketEndPoint"/>.</summary>
/// <remarks>
/// .NET writes an abstract name as <c>@name</c> in <see cref="UnixDomainSocketEndPoint.ToString"/>, which a file
/// really named <c>@name</c> would also give; the serialised address (a NUL after the family) is unambiguous.
/// </remarks>
internal static class UnixAddress
{
    private const int FamilySize = 2;

    public static bool IsAbstract(UnixDomainSocketEndPoint endPoint)
    {
        SocketAddress address = endPoint.Serialize();
        return address.Size > FamilySize && address[FamilySize] == 0;
    }

    /// <summary>The file-system path of a Unix address, or <see langword="null"/> for an abstract or unnamed one.</summary>
    public static string? FilePath(EndPoint endPoint)
    {
        if (endPoint is not UnixDomainSocketEndPoint unix || IsAbstract(unix))
        {
            return null;
        }

        string path = unix.ToString();
        return path.Length == 0 ? null : path;
    }
}
