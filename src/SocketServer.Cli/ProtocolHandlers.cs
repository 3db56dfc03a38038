using SocketServer.Protocols;

namespace SocketServer.Cli;

/// <summary>Maps a protocol to the library's handler for stream or datagram listeners.</summary>
internal static class ProtocolHandlers
{
    /// <summary>Returns the factory of handlers for <paramref name="protocol"/>.</summary>
    /// <param name="protocol">The protocol to serve.</param>
    /// <param name="stream">Whether the listener is a stream (TCP, Unix stream) rather than a datagram one.</param>
    /// <returns>A factory creating one handler per request.</returns>
    public static Func<BaseRequestHandler> For(ServeProtocol protocol, bool stream) => (protocol, stream) switch
    {
        (ServeProtocol.Echo, true) => static () => new EchoStreamHandler(),
        (ServeProtocol.Echo, false) => static () => new EchoDatagramHandler(),
        (ServeProtocol.Timestamp, true) => static () => new TimestampStreamHandler(),
        (ServeProtocol.Timestamp, false) => static () => new TimestampDatagramHandler(),
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "Unknown protocol."),
    };
}
