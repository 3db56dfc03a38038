using SocketServer.Protocols;

namespace SocketServer.Cli;

/// <summary>Maps a protocol to the library's handler for stream or datagram listeners.</summary>
internal static class ProtocolHandlers
{
    /// <summary>The protocols' names on the command line, in the order the help lists them.</summary>
    public static readonly string[] Names = ["echo", "discard", "daytime", "chargen", "time", "timestamp"];

    /// <summary>The protocol named <paramref name="name"/>, one of <see cref="Names"/>.</summary>
    /// <param name="name">The name as given on the command line.</param>
    /// <returns>The protocol.</returns>
    public static ServeProtocol Parse(string? name) => name switch
    {
        "discard" => ServeProtocol.Discard,
        "daytime" => ServeProtocol.Daytime,
        "chargen" => ServeProtocol.Chargen,
        "time" => ServeProtocol.Time,
        "timestamp" => ServeProtocol.Timestamp,
        _ => ServeProtocol.Echo,
    };

    /// <summary>Returns the factory of handlers for <paramref name="protocol"/>.</summary>
    /// <param name="protocol">The protocol to serve.</param>
    /// <param name="stream">Whether the listener is a stream (TCP, Unix stream) rather than a datagram one.</param>
    /// <param name="async">Async handlers (for <c>--mode async</c>).</param>
    /// <returns>A factory creating one handler per request.</returns>
    public static Func<BaseRequestHandler> For(ServeProtocol protocol, bool stream, bool async = false) =>
        async ? ForAsync(protocol, stream) : ForSync(protocol, stream);

    private static Func<BaseRequestHandler> ForSync(ServeProtocol protocol, bool stream) => (protocol, stream) switch
    {
        (ServeProtocol.Echo, true) => static () => new EchoStreamHandler(),
        (ServeProtocol.Echo, false) => static () => new EchoDatagramHandler(),
        (ServeProtocol.RawEcho, true) => static () => new RawEchoStreamHandler(),
        (ServeProtocol.RawEcho, false) => static () => new EchoDatagramHandler(),
        (ServeProtocol.Discard, true) => static () => new DiscardStreamHandler(),
        (ServeProtocol.Discard, false) => static () => new DiscardDatagramHandler(),
        (ServeProtocol.Daytime, true) => static () => new DaytimeStreamHandler(),
        (ServeProtocol.Daytime, false) => static () => new DaytimeDatagramHandler(),
        (ServeProtocol.Chargen, true) => static () => new ChargenStreamHandler(),
        (ServeProtocol.Chargen, false) => static () => new ChargenDatagramHandler(),
        (ServeProtocol.Time, true) => static () => new TimeStreamHandler(),
        (ServeProtocol.Time, false) => static () => new TimeDatagramHandler(),
        (ServeProtocol.Timestamp, true) => static () => new TimestampStreamHandler(),
        (ServeProtocol.Timestamp, false) => static () => new TimestampDatagramHandler(),
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "Unknown protocol."),
    };

    private static Func<BaseRequestHandler> ForAsync(ServeProtocol protocol, bool stream) => (protocol, stream) switch
    {
        (ServeProtocol.Echo, true) => static () => new AsyncEchoStreamHandler(),
        (ServeProtocol.Echo, false) => static () => new AsyncEchoDatagramHandler(),
        (ServeProtocol.Discard, true) => static () => new AsyncDiscardStreamHandler(),
        (ServeProtocol.Discard, false) => static () => new AsyncDiscardDatagramHandler(),
        (ServeProtocol.Daytime, true) => static () => new AsyncDaytimeStreamHandler(),
        (ServeProtocol.Daytime, false) => static () => new AsyncDaytimeDatagramHandler(),
        (ServeProtocol.Chargen, true) => static () => new AsyncChargenStreamHandler(),
        (ServeProtocol.Chargen, false) => static () => new AsyncChargenDatagramHandler(),
        (ServeProtocol.Time, true) => static () => new AsyncTimeStreamHandler(),
        (ServeProtocol.Time, false) => static () => new AsyncTimeDatagramHandler(),
        (ServeProtocol.Timestamp, true) => static () => new AsyncTimestampStreamHandler(),
        (ServeProtocol.Timestamp, false) => static () => new AsyncTimestampDatagramHandler(),
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "Unknown protocol."),
    };
}
