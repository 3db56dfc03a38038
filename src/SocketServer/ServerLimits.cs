using SocketServer.Internal;

namespace SocketServer;

/// <summary>
/// The limits a server enforces on its stream connections (<see cref="BaseServer.Limits"/>): how many there may be,
/// how long a peer may stay silent or slow, and how long a line may be. Python's <c>socketserver</c> has none of these;
/// the defaults follow the servers that face real networks (Kestrel, nginx, HAProxy), and
/// <see cref="Unlimited"/> gives Python's behaviour back.
/// </summary>
/// <remarks>
/// <para>
/// The connection caps are applied by the serve loop; the timeouts and rates by a heartbeat that scans every
/// connection once a second (Kestrel's model), using <see cref="BaseServer.TimeProvider"/>. The timeouts and the line
/// length act through the handler's <see cref="StreamRequestHandler.RFile"/> and <see cref="StreamRequestHandler.WFile"/>;
/// a handler that reads the socket itself gets the caps and the drain but not the timeouts.
/// </para>
/// <para>
/// Datagram servers and forking servers enforce none of these (a forking server's workers are bounded by
/// <c>MaxChildren</c> and <c>MaxRequestDuration</c>). Change the limits before serving; changes while serving apply
/// from the next heartbeat or connection.
/// </para>
/// </remarks>
public sealed class ServerLimits
{
    private int? _maxConnections = DefaultMaxConnections();
    private int? _maxConnectionsPerClient;
    private TimeSpan? _idleTimeout = TimeSpan.FromSeconds(130);
    private TimeSpan? _firstUnitTimeout = TimeSpan.FromSeconds(30);
    private int? _maxLineLength = 65536;

    /// <summary>
    /// The most connections served at once. When it is reached the server stops accepting, so the surplus waits in the
    /// listen backlog, until a connection ends; <see langword="null"/> for no limit. By default three quarters of the
    /// process's descriptor limit (RLIMIT_NOFILE), and at least <see cref="DescriptorReserve"/> below it, so that the
    /// process does not run out of descriptors (at least 1); no limit where the descriptor limit cannot be read.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int? MaxConnections
    {
        get => _maxConnections;
        set => _maxConnections = Positive(value);
    }

    /// <summary>
    /// The most connections one client address (IPv4 or IPv6, without the port) may hold at once; a connection over it
    /// is closed at once without data. <see langword="null"/> (the default) for no limit: behind a proxy or NAT many
    /// clients share one address. Unix-socket clients have no address and are never counted.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int? MaxConnectionsPerClient
    {
        get => _maxConnectionsPerClient;
        set => _maxConnectionsPerClient = Positive(value);
    }

    /// <summary>
    /// How long a handler may wait for the first byte of a new line or read before the connection is closed as idle
    /// (the handler's read returns the end of the stream); <see langword="null"/> for no limit. 130 seconds by default,
    /// Kestrel's keep-alive timeout.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public TimeSpan? IdleTimeout
    {
        get => _idleTimeout;
        set => _idleTimeout = Positive(value);
    }

    /// <summary>
    /// An absolute deadline, counted from the accept, for the first protocol unit: the first complete line
    /// (<see cref="SocketReader.ReadLine"/>) or the first bytes (<see cref="SocketReader.Read(Span{byte})"/>). It is not
    /// pushed back by bytes that arrive, so a client trickling a line byte by byte cannot hold the connection; on expiry
    /// the connection is aborted. <see langword="null"/> for no limit. 30 seconds by default, Kestrel's request-headers
    /// timeout. It runs only while the handler waits for input, so a handler that only writes is not cut off.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public TimeSpan? FirstUnitTimeout
    {
        get => _firstUnitTimeout;
        set => _firstUnitTimeout = Positive(value);
    }

    /// <summary>
    /// The slowest a line may arrive once its first byte came: after the grace period, a line whose bytes arrive at a
    /// lower average rate is aborted (slowloris). <see langword="null"/> for no limit. 240 bytes per second after 5 seconds
    /// by default, Kestrel's <c>MinRequestBodyDataRate</c>.
    /// </summary>
    public MinDataRate? MinReceiveRate { get; set; } = MinDataRate.KestrelDefault();

    /// <summary>
    /// The slowest a peer may take the handler's output: each write must finish within the longer of the grace period
    /// and its size divided by the rate, or the connection is aborted, so a peer that never reads cannot hold a handler
    /// in a write for ever. <see langword="null"/> for no limit. 240 bytes per second after 5 seconds by default, Kestrel's
    /// <c>MinResponseDataRate</c>.
    /// </summary>
    public MinDataRate? MinSendRate { get; set; } = MinDataRate.KestrelDefault();

    /// <summary>
    /// The longest line, its <c>\n</c> included, that <see cref="SocketReader.ReadLine"/> buffers. A longer line makes
    /// <c>ReadLine</c> throw <see cref="ConnectionLimitException"/> (the handler never sees part of it) and stops the
    /// connection's input. A caller's own <c>limit</c> no greater than this keeps Python's meaning (the line is cut, no
    /// error). <see langword="null"/> for no limit. 65,536 bytes by default, the cap of Python's own <c>http.server</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int? MaxLineLength
    {
        get => _maxLineLength;
        set => _maxLineLength = Positive(value);
    }

    /// <summary>Limits that limit nothing: Python's <c>socketserver</c> behaviour.</summary>
    /// <returns>A new object with every limit off.</returns>
    public static ServerLimits Unlimited() => new()
    {
        MaxConnections = null,
        IdleTimeout = null,
        FirstUnitTimeout = null,
        MinReceiveRate = null,
        MinSendRate = null,
        MaxLineLength = null,
    };

    /// <summary>
    /// Descriptors the default <see cref="MaxConnections"/> leaves to the rest of the process: the .NET runtime holds
    /// about 65 of its own on Linux (measured under a low <c>ulimit -n</c>), and handlers open files too.
    /// </summary>
    internal const int DescriptorReserve = 128;

    internal bool HasTimeouts => IdleTimeout is not null || FirstUnitTimeout is not null || MinReceiveRate is not null || MinSendRate is not null;

    private static int? DefaultMaxConnections()
    {
        if (DescriptorLimits.TryGetSoftLimit() is not { } limit)
        {
            return null;
        }

        long descriptors = (long)Math.Min(limit, int.MaxValue);
        return (int)Math.Max(1, Math.Min(descriptors / 4 * 3, descriptors - DescriptorReserve));
    }

    private static int? Positive(int? value)
    {
        if (value is { } v)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(v, 1, nameof(value));
        }

        return value;
    }

    private static TimeSpan? Positive(TimeSpan? value)
    {
        if (value is { } v)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(v, TimeSpan.Zero, nameof(value));
        }

        return value;
    }
}
