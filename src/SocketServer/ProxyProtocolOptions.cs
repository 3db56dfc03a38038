using System.Net;

namespace SocketServer;

/// <summary>
/// The PROXY protocol (HAProxy's, v1 and v2) on a stream listener: every connection must start with a header from a
/// trusted proxy, which gives the original client's address. Set it on <see cref="TcpServer.ProxyProtocol"/>.
/// </summary>
/// <remarks>
/// <para>
/// The header is required, never guessed: a listener with these options refuses a connection without one, and one
/// without these options never looks for one (if it did, any client could forge its address). A connection from a
/// source outside <see cref="TrustedNetworks"/> is closed before a byte is read; a header that is malformed, cut
/// short, or not complete within <see cref="HeaderTimeout"/> closes the connection before <c>VerifyRequest</c> or a
/// handler sees it. Each refusal is logged as one line (Information, event 500) and counted in
/// <c>socketserver.rejected_connections</c> with <c>error.type</c> <c>proxy_protocol</c>.
/// </para>
/// <para>
/// After a valid header, <see cref="BaseRequestHandler.ClientAddress"/>, the address <c>VerifyRequest</c> is given and
/// the log lines name the original client; the header itself (the proxy's own address, the v2 TLVs) is
/// <see cref="BaseRequestHandler.ProxyHeader"/>. A LOCAL header (HAProxy's health checks) keeps the real peer address.
/// </para>
/// </remarks>
public sealed class ProxyProtocolOptions
{
    private TimeSpan _headerTimeout = TimeSpan.FromSeconds(5);
    private ProxyProtocolVersions _versions = ProxyProtocolVersions.Any;

    /// <summary>
    /// The networks the proxies connect from (for example <c>IPNetwork.Parse("10.0.0.0/8")</c>); an IPv4-mapped IPv6
    /// peer is matched as IPv4. Empty by default, which trusts no IP source: set at least one.
    /// </summary>
    public IList<IPNetwork> TrustedNetworks { get; } = [];

    /// <summary>
    /// Whether peers of a Unix stream listener are trusted (HAProxy can connect over a Unix socket: the socket file's
    /// permissions are then the allow-list); <see langword="false"/> by default.
    /// </summary>
    public bool TrustUnixPeers { get; set; }

    /// <summary>
    /// How long a trusted peer has, from the accept, to send its whole header; 5 seconds by default (the protocol asks
    /// for at least 3, to cover a TCP retransmission).
    /// </summary>
    /// <remarks>
    /// On the synchronous, threading and forking loops the header is read on the accepting thread, so a trusted peer
    /// that sends nothing holds the next accept for at most this long; <c>ServeAsync</c> reads headers without
    /// blocking anyone.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive, or longer than a day.</exception>
    public TimeSpan HeaderTimeout
    {
        get => _headerTimeout;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, TimeSpan.FromDays(1));
            _headerTimeout = value;
        }
    }

    /// <summary>The header versions accepted; <see cref="ProxyProtocolVersions.Any"/> by default.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No version, or an unknown one.</exception>
    public ProxyProtocolVersions Versions
    {
        get => _versions;
        set
        {
            if (value == 0 || (value & ~ProxyProtocolVersions.Any) != 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Accept V1, V2 or both (Any).");
            }

            _versions = value;
        }
    }

    /// <summary>Whether a peer at <paramref name="address"/> may send a header (it is in <see cref="TrustedNetworks"/>).</summary>
    /// <param name="address">The peer's address.</param>
    /// <returns>Whether the address is trusted.</returns>
    public bool IsTrusted(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (IPNetwork network in TrustedNetworks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }
}
