using System.Net;
using System.Net.Sockets;

namespace SocketServer.Cli.Send;

/// <summary>
/// The server <c>send</c> talks to: <c>tcp://HOST:PORT</c>, <c>udp://HOST:PORT</c>, <c>unix:PATH</c> or
/// <c>unix-dgram:PATH</c>, and <c>tls://HOST:PORT</c> or <c>unix+tls:PATH</c>, which are the plain ones with TLS (so a
/// ready line's address can be pasted as it is).
/// </summary>
/// <param name="Text">The address as written on the command line, for messages.</param>
/// <param name="Kind">The kind of socket.</param>
/// <param name="EndPoint">The address to connect to.</param>
/// <param name="Tls">Whether the scheme asks for TLS.</param>
/// <param name="HostName">The host as written (checked against the server's certificate); <c>localhost</c> for Unix sockets.</param>
internal sealed record SendTarget(string Text, ListenerKind Kind, EndPoint EndPoint, bool Tls, string HostName)
{
    /// <summary>How messages name the argument.</summary>
    public const string ArgumentName = "<address>";

    /// <summary>Whether the target is a stream (TCP, Unix stream) rather than datagrams.</summary>
    public bool IsStream => Kind is ListenerKind.Tcp or ListenerKind.Unix;

    /// <summary>Whether the target is a Unix socket, which has no host name to check a certificate against.</summary>
    public bool IsUnix => Kind is ListenerKind.Unix or ListenerKind.UnixDatagram;

    /// <summary>Parses the <c>ADDRESS</c> argument.</summary>
    /// <param name="value">The argument.</param>
    /// <returns>The target.</returns>
    /// <exception cref="FormatException">The address is malformed; the message says why.</exception>
    public static SendTarget Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!AddressUri.TrySplit(value, out ListenerKind kind, out string address, out bool tls))
        {
            throw new FormatException($"Invalid {ArgumentName} value '{value}': expected tcp://HOST:PORT, udp://HOST:PORT, unix:PATH or unix-dgram:PATH (tls://HOST:PORT or unix+tls:PATH for TLS).");
        }

        EndPoint endPoint = ListenerSpec.ParseAddress(kind, address, ArgumentName);
        if (endPoint is IPEndPoint { Port: 0 })
        {
            throw new FormatException($"Invalid {ArgumentName} value '{value}': port 0 cannot be connected to.");
        }

        string host = kind is ListenerKind.Tcp or ListenerKind.Udp ? address[..address.LastIndexOf(':')].Trim('[', ']') : "localhost";
        return new SendTarget(value, kind, endPoint, tls, host);
    }

    /// <summary>Creates a socket of the target's kind, not yet connected.</summary>
    /// <returns>The socket.</returns>
    public Socket CreateSocket() => Kind switch
    {
        ListenerKind.Tcp => new Socket(EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true },
        ListenerKind.Udp => new Socket(EndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp),
        ListenerKind.Unix => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified),
        _ => new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified),
    };
}
