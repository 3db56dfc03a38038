using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SocketServer.Internal.Diagnostics;

/// <summary>
/// What names one server in its metrics and log lines, worked out once per address: the OpenTelemetry attributes
/// <c>network.transport</c> (tcp, udp, unix), <c>network.type</c> (ipv4, ipv6; not for Unix sockets),
/// <c>server.address</c> and <c>server.port</c> (not for Unix sockets), and the address as the log lines write it.
/// </summary>
internal sealed class ServerTags
{
    /// <summary>Works out the tags of a server bound to <paramref name="address"/> with a socket of <paramref name="socketType"/>.</summary>
    public ServerTags(EndPoint address, SocketType socketType)
    {
        Address = address;
        IsDatagram = socketType == SocketType.Dgram;
        FormattedAddress = EndPointFormatter.Format(address, socketType);
        FormattedTlsAddress = EndPointFormatter.Format(address, socketType, tls: true);
        var tags = new TagList();
        switch (address)
        {
            case IPEndPoint ip:
                tags.Add("network.transport", socketType == SocketType.Dgram ? "udp" : "tcp");
                tags.Add("network.type", ip.AddressFamily == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4");
                tags.Add("server.address", ip.Address.ToString());
                tags.Add("server.port", ip.Port);
                break;
            case UnixDomainSocketEndPoint unix:
                tags.Add("network.transport", "unix");
                tags.Add("server.address", unix.ToString());
                break;
            default:
                tags.Add("server.address", address.ToString());
                break;
        }

        Tags = tags;
    }

    /// <summary>The address these tags describe (compared by reference, to notice a rebind).</summary>
    public EndPoint Address { get; }

    /// <summary>Whether the server's socket is a datagram socket.</summary>
    public bool IsDatagram { get; }

    /// <summary>The address as log lines write it: <c>tcp://127.0.0.1:80</c>, <c>unix:/run/app.sock</c>.</summary>
    public string FormattedAddress { get; }

    /// <summary>The address as log lines write it while the listener speaks TLS: <c>tls://127.0.0.1:443</c>, <c>unix+tls:/run/app.sock</c>.</summary>
    public string FormattedTlsAddress { get; }

    /// <summary>The attributes; at most four, so a copy with two more stays on the stack (a <see cref="TagList"/> holds eight inline).</summary>
    public TagList Tags { get; }
}
