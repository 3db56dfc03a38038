using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SocketServer.Cli;

/// <summary>One listener asked for on the command line: its kind and the address to bind.</summary>
/// <param name="Kind">The kind of listener.</param>
/// <param name="EndPoint">An <see cref="IPEndPoint"/> for TCP and UDP, a <see cref="UnixDomainSocketEndPoint"/> otherwise.</param>
internal sealed record ListenerSpec(ListenerKind Kind, EndPoint EndPoint)
{
    /// <summary>The listener used when the command line names none: TCP on 127.0.0.1:10001, the seed's address.</summary>
    public static ListenerSpec Default { get; } = new(ListenerKind.Tcp, new IPEndPoint(IPAddress.Loopback, 10001));

    /// <summary>Whether the listener is a stream one (TCP or Unix stream).</summary>
    public bool IsStream => Kind is ListenerKind.Tcp or ListenerKind.Unix;

    /// <summary>Whether the address was written as <c>localhost</c>, which means both loopbacks.</summary>
    public bool IsLocalhost { get; init; }

    /// <summary>Whether this is the <c>[::1]</c> twin of a <c>localhost</c> listener, which takes the IPv4 one's port.</summary>
    public bool IsLoopbackTwin { get; init; }

    /// <summary>Whether to set SO_REUSEPORT before binding (<c>--reuse-port</c>; TCP and UDP only).</summary>
    public bool ReusePort { get; init; }

    /// <summary>A socket already bound (passed by systemd) to adopt instead of binding <see cref="EndPoint"/>, or null.</summary>
    public Socket? Adopted { get; init; }

    /// <summary>The listener that serves <paramref name="socket"/>, already bound: its kind from the socket's family and type.</summary>
    /// <param name="socket">A bound TCP, UDP, Unix stream or Unix datagram socket.</param>
    /// <returns>The listener.</returns>
    public static ListenerSpec ForSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        bool stream = socket.SocketType == SocketType.Stream;
        ListenerKind kind = socket.AddressFamily == AddressFamily.Unix
            ? stream ? ListenerKind.Unix : ListenerKind.UnixDatagram
            : stream ? ListenerKind.Tcp : ListenerKind.Udp;
        return new ListenerSpec(kind, socket.LocalEndPoint!) { Adopted = socket };
    }

    /// <summary>Parses an option's value: <c>HOST:PORT</c> for TCP and UDP, a path for Unix sockets.</summary>
    /// <param name="kind">The kind of listener the option asks for.</param>
    /// <param name="value">The option's value.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="FormatException">The value is not a valid address; the message names it.</exception>
    public static ListenerSpec Parse(ListenerKind kind, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        bool localhost = kind is ListenerKind.Tcp or ListenerKind.Udp
            && value.LastIndexOf(':') is var colon and > 0
            && value[..colon].Equals("localhost", StringComparison.OrdinalIgnoreCase);
        return new ListenerSpec(kind, ParseAddress(kind, value, OptionName(kind))) { IsLocalhost = localhost };
    }

    /// <summary>
    /// Gives each <c>localhost</c> listener an <c>[::1]</c> twin right after it, when this host has IPv6 loopback.
    /// The answer is the same in a forking worker as in its parent, so both build the same servers in the same order.
    /// </summary>
    /// <param name="specs">The listeners as given.</param>
    /// <returns>The listeners to build, in order.</returns>
    public static List<ListenerSpec> ExpandLocalhost(IReadOnlyList<ListenerSpec> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        bool ipv6 = specs.Any(static s => s.IsLocalhost) && HasIPv6Loopback();
        List<ListenerSpec> expanded = [];
        foreach (ListenerSpec spec in specs)
        {
            expanded.Add(spec);
            if (spec.IsLocalhost && ipv6)
            {
                var port = ((IPEndPoint)spec.EndPoint).Port;
                expanded.Add(new ListenerSpec(spec.Kind, new IPEndPoint(IPAddress.IPv6Loopback, port)) { IsLoopbackTwin = true, ReusePort = spec.ReusePort });
            }
        }

        return expanded;
    }

    private static bool HasIPv6Loopback()
    {
        if (!Socket.OSSupportsIPv6)
        {
            return false;
        }

        try
        {
            using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
            probe.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Parses an address as <see cref="Parse"/> does, naming <paramref name="option"/> in errors.</summary>
    /// <param name="kind">The kind of socket the address is for.</param>
    /// <param name="value">The address: <c>HOST:PORT</c> for TCP and UDP, a path for Unix sockets.</param>
    /// <param name="option">The option to name in the error message, for example <c>--target</c>.</param>
    /// <returns>An <see cref="IPEndPoint"/> for TCP and UDP, a <see cref="UnixDomainSocketEndPoint"/> otherwise.</returns>
    /// <exception cref="FormatException">The value is not a valid address; the message names it.</exception>
    public static EndPoint ParseAddress(ListenerKind kind, string value, string option)
    {
        ArgumentNullException.ThrowIfNull(value);
        return kind switch
        {
            ListenerKind.Tcp or ListenerKind.Udp => ParseHostPort(option, value),
            ListenerKind.Unix or ListenerKind.UnixDatagram => ParseUnixPath(option, value),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown listener kind."),
        };
    }

    /// <summary>The option that asks for a listener of <paramref name="kind"/>, for messages.</summary>
    /// <param name="kind">The kind of listener.</param>
    /// <returns>The option's name, for example <c>--tcp</c>.</returns>
    public static string OptionName(ListenerKind kind) => kind switch
    {
        ListenerKind.Tcp => "--tcp",
        ListenerKind.Udp => "--udp",
        ListenerKind.Unix => "--unix",
        _ => "--unix-dgram",
    };

    private static IPEndPoint ParseHostPort(string option, string value)
    {
        string host;
        string port;
        if (value.StartsWith('['))
        {
            int close = value.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= value.Length || value[close + 1] != ':')
            {
                throw Invalid(option, value, "expected [IPV6]:PORT");
            }

            host = value[1..close];
            port = value[(close + 2)..];
            if (!IPAddress.TryParse(host, out IPAddress? v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                throw Invalid(option, value, $"'{host}' is not an IPv6 address");
            }

            return new IPEndPoint(v6, ParsePort(option, value, port));
        }

        int colon = value.LastIndexOf(':');
        if (colon < 0)
        {
            throw Invalid(option, value, "expected HOST:PORT");
        }

        host = value[..colon];
        port = value[(colon + 1)..];
        if (host.Contains(':', StringComparison.Ordinal))
        {
            throw Invalid(option, value, "write an IPv6 address in brackets, as [::1]:PORT");
        }

        return new IPEndPoint(ParseHost(option, value, host), ParsePort(option, value, port));
    }

    private static IPAddress ParseHost(string option, string value, string host)
    {
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }

        // IPAddress.TryParse also takes shorthand such as "1" (0.0.0.1); only a dotted quad is accepted here.
        bool dottedQuad = host.Length > 0
            && host.Count(static c => c == '.') == 3
            && host.All(static c => c == '.' || char.IsAsciiDigit(c));
        if (!dottedQuad || !IPAddress.TryParse(host, out IPAddress? address))
        {
            throw Invalid(option, value, $"'{host}' is not an IPv4 address, [IPv6] address or localhost");
        }

        return address;
    }

    private static int ParsePort(string option, string value, string port)
    {
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number)
            || number > IPEndPoint.MaxPort)
        {
            throw Invalid(option, value, $"'{port}' is not a port number from 0 to {IPEndPoint.MaxPort}");
        }

        return number;
    }

    private static UnixDomainSocketEndPoint ParseUnixPath(string option, string value)
    {
        if (value.Length == 0)
        {
            throw Invalid(option, value, "the path is empty");
        }

        // '@name' is a Linux abstract socket, written as ss(8) and socat write it.
        string path = value[0] == '@' ? "\0" + value[1..] : value;
        try
        {
            return new UnixDomainSocketEndPoint(path);
        }
        catch (ArgumentException)
        {
            throw Invalid(option, value, "the path is too long for a Unix socket on this platform");
        }
        catch (PlatformNotSupportedException)
        {
            throw Invalid(option, value, "Unix sockets are not supported on this platform");
        }
    }

    private static FormatException Invalid(string option, string value, string reason) =>
        new($"Invalid {option} value '{value}': {reason}.");
}
