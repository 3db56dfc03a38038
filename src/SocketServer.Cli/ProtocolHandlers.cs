using SocketServer.Protocols;

namespace SocketServer.Cli;

/// <summary>Maps a protocol to the library's handler for stream or datagram listeners.</summary>
internal static class ProtocolHandlers
{
    /// <summary>Returns the factory of handlers for <paramref name="protocol"/>.</summary>
    /// <param name="protocol">The protocol to serve.</param>
    /// <param name="stream">Whether the listener is a stream (TCP, Unix stream) rather than a datagram one.</param>
    /// <param name="async">Async handlers (for <c>--mode async</c>).</param>
    /// <returns>A factory creating one handler per request.</returns>
    public static Func<BaseRequestHandler> For(ServeProtocol protocol, bool stream, bool async = false) => (protocol, stream, async) switch
    {
        (ServeProtocol.Echo, true, true) => static () => new AsyncEchoStreamHandler(),
        (ServeProtocol.Timestamp, true, true) => static () => new AsyncTimestampStreamHandler(),
        (ServeProtocol.Echo, false, true) => static () => new AsyncEchoDatagramHandler(),
        (ServeProtocol.Timestamp, false, true) => static () => new AsyncTimestampDatagramHandler(),
        (ServeProtocol.Echo, true, _) => static () => new EchoStreamHandler(),
        (ServeProtocol.Echo, false, _) => static () => new EchoDatagramHandler(),
        (ServeProtocol.Timestamp, true, _) => static () => new TimestampStreamHandler(),
        (ServeProtocol.Timestamp, false, _) => static () => new TimestampDatagramHandler(),
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "Unknown protocol."),
    };
}
