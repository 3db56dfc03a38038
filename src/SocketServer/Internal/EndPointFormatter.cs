using System.Net;
using System.Net.Sockets;

namespace SocketServer.Internal;

/// <summary>
/// Writes endpoints as URIs: <c>tcp://127.0.0.1:80</c>, <c>udp://[::1]:53</c>, <c>unix:/run/app.sock</c>, and a stream
/// listener with TLS as the CLI's ready line does: <c>tls://127.0.0.1:443</c>, <c>unix+tls:/run/app.sock</c>.
/// </summary>
/// <remarks>
/// A Linux abstract name (a leading NUL) comes out as <c>unix:@name</c>, as ss(8) and socat write it: .NET's
/// <see cref="UnixDomainSocketEndPoint.ToString"/> already writes the NUL as '@' (a test pins this).
/// </remarks>
internal static class EndPointFormatter
{
    public static string Format(EndPoint endPoint, SocketType socketType, bool tls = false) => endPoint switch
    {
        IPEndPoint ip => $"{(socketType == SocketType.Dgram ? "udp" : tls ? "tls" : "tcp")}://{ip}",
        UnixDomainSocketEndPoint unix => $"{(socketType == SocketType.Dgram ? "unix-dgram" : tls ? "unix+tls" : "unix")}:{unix}",
        _ => endPoint.ToString() ?? endPoint.GetType().Name,
    };
}
