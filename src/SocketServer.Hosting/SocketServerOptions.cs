namespace SocketServer.Hosting;

/// <summary>
/// One hosted server, by name: its endpoints, mode, limits, TLS, PROXY protocol, engine and Unix socket files. Bound from the configuration
/// section <c>SocketServer:Servers:NAME</c> (an <c>appsettings.json</c> section, environment variables, the command
/// line...), then changed by code given to <c>AddSocketServer</c>, and validated when the host starts.
/// </summary>
/// <remarks>
/// <para>Read with <c>IOptionsMonitor&lt;SocketServerOptions&gt;.Get(name)</c>. The servers are built from it once, when
/// the host starts; a later change of the configuration does not reach a running server.</para>
/// <para>A key of the section that is not a setting here, or a value that cannot be read, is a validation error (a typo
/// must not leave a limit at its default unnoticed).</para>
/// </remarks>
public sealed class SocketServerOptions
{
    /// <summary>The configuration section that holds the servers, each under its name: <c>SocketServer:Servers</c>.</summary>
    public const string ServersSection = "SocketServer:Servers";

    /// <summary>
    /// Where the server listens, written as the <c>socketserver</c> command writes addresses: <c>tcp://HOST:PORT</c>,
    /// <c>udp://HOST:PORT</c>, <c>unix:PATH</c> and <c>unix-dgram:PATH</c> (<c>unix:@NAME</c> for a Linux abstract
    /// socket). <c>HOST</c> is an IPv4 address, an IPv6 address in brackets (<c>[::1]</c>), or <c>localhost</c>
    /// (127.0.0.1); no name is resolved. Port 0 picks a free port (<see cref="HostedSocketServers"/> tells which).
    /// </summary>
    /// <remarks>Each endpoint is a server of its own (<see cref="TcpServer"/>, <see cref="UdpServer"/>...), sharing the rest of these settings.</remarks>
    public IList<string> Endpoints { get; } = [];

    /// <summary>How requests are served; <see cref="SocketServerMode.Async"/> by default.</summary>
    public SocketServerMode Mode { get; set; } = SocketServerMode.Async;

    /// <summary>
    /// The limits of the stream endpoints (<see cref="BaseServer.Limits"/>): the library's safe defaults unless
    /// configured. In configuration, <c>"Unlimited": true</c> starts from <see cref="ServerLimits.Unlimited"/>, and a
    /// single limit is switched off with the value <c>"none"</c>.
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public ServerLimits Limits
    {
        get;
        set => field = value ?? throw new ArgumentNullException(nameof(value));
    } = new();

    /// <summary>TLS for the stream endpoints; off unless a certificate is given.</summary>
    public SocketServerTlsOptions Tls { get; } = new();

    /// <summary>The socket files of the Unix endpoints.</summary>
    public SocketServerUnixOptions Unix { get; } = new();

    /// <summary>
    /// HAProxy's PROXY protocol on the stream endpoints (<see cref="TcpServer.ProxyProtocol"/>): every connection must
    /// then start with a header from a trusted proxy, whose original client becomes the handler's
    /// <see cref="BaseRequestHandler.ClientAddress"/>. <see langword="null"/> (the default) for none.
    /// </summary>
    /// <remarks>
    /// In configuration, the section <c>ProxyProtocol</c> with <c>"Enabled": true</c>, <c>TrustedNetworks</c> (CIDR
    /// strings), <c>TrustUnixPeers</c>, <c>HeaderTimeout</c> and <c>Versions</c>. A server with it may have no datagram
    /// endpoint (the protocol is for streams): give those a server of their own.
    /// </remarks>
    public ProxyProtocolOptions? ProxyProtocol { get; set; }

    /// <summary>
    /// The engine of <see cref="SocketServerMode.Async"/> (<see cref="BaseServer.AsyncTransport"/>): epoll, io_uring
    /// (falling back to epoll, with one logged warning, where it is unavailable) or portable. <see langword="null"/>
    /// (the default) keeps the library's default, epoll; the other modes do not use it, so setting it there is refused.
    /// </summary>
    public AsyncTransport? AsyncTransport { get; set; }

    /// <summary>
    /// In <see cref="SocketServerMode.Threading"/>, how many request threads may wait for the next request once theirs
    /// ended (<see cref="ThreadingTcpServer.MaxIdleThreads"/>); 0 starts a new thread for every request, as Python does.
    /// <see langword="null"/> (the default) keeps the library's default (64); the other modes do not use it, so
    /// setting it there is refused.
    /// </summary>
    public int? MaxIdleThreads { get; set; }

    /// <summary>
    /// Whether the TCP and UDP endpoints set SO_REUSEPORT (<see cref="TcpServer.AllowReusePort"/>), so that several
    /// processes share an address and the kernel spreads the clients among them; <see langword="false"/> by default.
    /// Refused where the platform has no SO_REUSEPORT (Windows).
    /// </summary>
    public bool AllowReusePort { get; set; }

    /// <summary>
    /// Called with each server built for an endpoint, after these settings were applied and before it binds: for what
    /// they do not cover (<see cref="TcpServer.RequestQueueSize"/>, <see cref="UdpServer.MaxPacketSize"/>,
    /// a forking server's <c>MaxChildren</c>...). <see langword="null"/> by default. Not read from configuration.
    /// </summary>
    public Action<BaseServer>? ConfigureServer { get; set; }

    /// <summary>What the configuration held that could not be read, one message each, reported by the validator.</summary>
    internal List<string> ConfigurationErrors { get; } = [];
}
