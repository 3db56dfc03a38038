using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SocketServer.Hosting.Internal;

/// <summary>
/// An endpoint as the <c>socketserver</c> command writes it (<c>tcp://127.0.0.1:10001</c>, <c>udp://[::1]:53</c>,
/// <c>unix:/run/echo.sock</c>, <c>unix-dgram:/run/echo.sock</c>, <c>unix:@name</c>), parsed by the same rules: IPv4 as
/// a dotted quad, IPv6 in brackets, <c>localhost</c> for 127.0.0.1, no name resolved.
/// </summary>
/// <param name="Kind">The kind of socket.</param>
/// <param name="EndPoint">An <see cref="IPEndPoint"/> for TCP and UDP, a <see cref="UnixDomainSocketEndPoint"/> otherwise.</param>
internal sealed record Endpoint(EndpointKind Kind, EndPoint EndPoint)
{
    private const string Expected = "expected tcp://HOST:PORT, udp://HOST:PORT, unix:PATH or unix-dgram:PATH";

    /// <summary>Whether the endpoint is a stream one (TCP or Unix stream).</summary>
    public bool IsStream => Kind is EndpointKind.Tcp or EndpointKind.Unix;

    /// <summary>Parses <paramref name="value"/>, or says why it is not an endpoint.</summary>
    /// <param name="value">The endpoint as written.</param>
    /// <param name="endpoint">The endpoint, when it is one.</param>
    /// <param name="error">Why it is not one: a sentence without the value, for the caller to place.</param>
    /// <returns>Whether <paramref name="value"/> is an endpoint.</returns>
    public static bool TryParse(string? value, [NotNullWhen(true)] out Endpoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        (EndpointKind kind, string address) = value switch
        {
            null => (default, ""),
            _ when value.StartsWith("tcp://", StringComparison.Ordinal) => (EndpointKind.Tcp, value["tcp://".Length..]),
            _ when value.StartsWith("udp://", StringComparison.Ordinal) => (EndpointKind.Udp, value["udp://".Length..]),
            _ when value.StartsWith("unix-dgram:", StringComparison.Ordinal) => (EndpointKind.UnixDatagram, value["unix-dgram:".Length..]),
            _ when value.StartsWith("unix:", StringComparison.Ordinal) => (EndpointKind.Unix, value["unix:".Length..]),
            _ => ((EndpointKind)(-1), ""),
        };
        if (value is null || !Enum.IsDefined(kind))
        {
            error = Expected + ".";
            return false;
        }

        EndPoint? parsed = kind is EndpointKind.Tcp or EndpointKind.Udp ? ParseHostPort(address, out string? reason) : ParseUnixPath(address, out reason);
        if (parsed is null)
        {
            error = reason ?? Expected + ".";
            return false;
        }

        error = null;

        endpoint = new Endpoint(kind, parsed);
        return true;
    }

    private static IPEndPoint? ParseHostPort(string value, out string? error)
    {
        string host;
        string port;
        IPAddress? address;
        if (value.StartsWith('['))
        {
            int close = value.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= value.Length || value[close + 1] != ':')
            {
                error = "expected [IPV6]:PORT.";
                return null;
            }

            host = value[1..close];
            port = value[(close + 2)..];
            if (!IPAddress.TryParse(host, out address) || address.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = $"'{host}' is not an IPv6 address.";
                return null;
            }
        }
        else
        {
            int colon = value.LastIndexOf(':');
            if (colon < 0)
            {
                error = "expected HOST:PORT after the scheme.";
                return null;
            }

            host = value[..colon];
            port = value[(colon + 1)..];
            if (host.Contains(':', StringComparison.Ordinal))
            {
                error = "write an IPv6 address in brackets, as [::1]:PORT.";
                return null;
            }

            address = ParseHost(host);
            if (address is null)
            {
                error = $"'{host}' is not an IPv4 address, [IPv6] address or localhost (names are not resolved).";
                return null;
            }
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number > IPEndPoint.MaxPort)
        {
            error = $"'{port}' is not a port number from 0 to {IPEndPoint.MaxPort}.";
            return null;
        }

        error = null;
        return new IPEndPoint(address, number);
    }

    private static IPAddress? ParseHost(string host)
    {
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }

        // IPAddress.TryParse also takes shorthand such as "1" (0.0.0.1); only a dotted quad is accepted, as by the command.
        bool dottedQuad = host.Length > 0
            && host.Count(static c => c == '.') == 3
            && host.All(static c => c == '.' || char.IsAsciiDigit(c));
        return dottedQuad && IPAddress.TryParse(host, out IPAddress? address) ? address : null;
    }

    private static UnixDomainSocketEndPoint? ParseUnixPath(string value, out string? error)
    {
        if (value.Length == 0)
        {
            error = "the path is empty.";
            return null;
        }

        // '@name' is a Linux abstract socket, written as ss(8) and socat write it.
        string path = value[0] == '@' ? "\0" + value[1..] : value;
        try
        {
            error = null;
            return new UnixDomainSocketEndPoint(path);
        }
        catch (ArgumentException)
        {
            error = "the path is too long for a Unix socket on this platform.";
        }
        catch (PlatformNotSupportedException)
        {
            error = "Unix sockets are not supported on this platform.";
        }

        return null;
    }
}
