namespace SocketServer.Cli;

/// <summary>
/// The address of a server as a URI, in the form the ready lines print it: <c>tcp://HOST:PORT</c>, <c>udp://HOST:PORT</c>,
/// <c>unix:PATH</c>, <c>unix-dgram:PATH</c>, and for TLS <c>tls://HOST:PORT</c> and <c>unix+tls:PATH</c>. Shared by the
/// clients, <c>bench --target</c> and <c>send</c>, which each take the schemes they can use.
/// </summary>
internal static class AddressUri
{
    // "unix:" is tried after the longer Unix schemes it does not prefix ("unix-dgram:", "unix+tls:" differ at "unix" + 1).
    private static readonly (string Scheme, ListenerKind Kind, bool Tls)[] s_schemes =
    [
        ("tcp://", ListenerKind.Tcp, false),
        ("udp://", ListenerKind.Udp, false),
        ("tls://", ListenerKind.Tcp, true),
        ("unix-dgram:", ListenerKind.UnixDatagram, false),
        ("unix+tls:", ListenerKind.Unix, true),
        ("unix:", ListenerKind.Unix, false),
    ];

    /// <summary>Splits <paramref name="value"/> into its scheme's kind of socket and the address after the scheme.</summary>
    /// <param name="value">The URI as written.</param>
    /// <param name="kind">The kind of socket the scheme names.</param>
    /// <param name="address">What follows the scheme: <c>HOST:PORT</c> or a path.</param>
    /// <param name="tls">Whether the scheme is a TLS one (<c>tls://</c>, <c>unix+tls:</c>).</param>
    /// <returns>Whether the value starts with a known scheme.</returns>
    public static bool TrySplit(string value, out ListenerKind kind, out string address, out bool tls)
    {
        ArgumentNullException.ThrowIfNull(value);
        foreach ((string scheme, ListenerKind schemeKind, bool schemeTls) in s_schemes)
        {
            if (value.StartsWith(scheme, StringComparison.Ordinal))
            {
                (kind, address, tls) = (schemeKind, value[scheme.Length..], schemeTls);
                return true;
            }
        }

        (kind, address, tls) = (default, "", false);
        return false;
    }
}
