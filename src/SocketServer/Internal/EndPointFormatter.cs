using System.Net;
using System.Net.Sockets;

namespace SocketServer.Internal;

/// <summary>Writes endpoints as URIs: <c>tcp://127.0.0.1:80</c>, <c>udp://[::1]:53</c>, <c>unix:/run/app.sock</c>.</summary>
internal static class EndPointFormatter
{
    public static string Format(EndPoint endPoint, SocketType socketType) => endPoint switch
    {
        IPEndPoint ip => $"{(socketType == SocketType.Dgram ? "udp" : "tcp")}://{ip}",
        UnixDomainSocketEndPoint unix => $"{(socketType == SocketType.Dgram ? "unix-dgram" : "unix")}:{FormatUnixPath(unix)}",
        _ => endPoint.ToString() ?? endPoint.GetType().Name,
    };

    private static string FormatUnixPath(UnixDomainSocketEndPoint endPoint)
    {
        string path = endPoint.ToString();
        // Linux abstract names start with NUL; show it as '@', as ss(8) and socat do.
        return path.Length > 0 && path[0] == '\0' ? "@" + path[1..] : path;
    }
}
