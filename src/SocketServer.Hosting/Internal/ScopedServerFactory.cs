using SocketServer.Hosting.Internal.Servers;

namespace SocketServer.Hosting.Internal;

/// <summary>Creates the scoped twin of the library's server for an endpoint and a mode, unbound.</summary>
internal static class ScopedServerFactory
{
    /// <summary>The server for <paramref name="endpoint"/> in <paramref name="mode"/>, its handlers from <paramref name="scopes"/>; not bound yet.</summary>
    /// <param name="endpoint">Where it will listen.</param>
    /// <param name="mode">How it serves.</param>
    /// <param name="scopes">Its requests' scopes.</param>
    /// <returns>The server.</returns>
    public static TcpServer Create(Endpoint endpoint, SocketServerMode mode, RequestScopes scopes) => mode switch
    {
        SocketServerMode.Threading => CreateThreading(endpoint, scopes),
        SocketServerMode.Forking => CreateForking(endpoint, scopes),
        _ => endpoint.Kind switch
        {
            EndpointKind.Tcp => new ScopedTcpServer(endpoint.EndPoint, scopes),
            EndpointKind.Udp => new ScopedUdpServer(endpoint.EndPoint, scopes),
            EndpointKind.Unix => new ScopedUnixStreamServer(endpoint.EndPoint, scopes),
            _ => new ScopedUnixDatagramServer(endpoint.EndPoint, scopes),
        },
    };

    // Daemon request threads, not joined on close: the drain already waited for the requests within the host's
    // shutdown timeout, and a handler that ignored its abort must not hold the host's stop (the command does the same).
    private static TcpServer CreateThreading(Endpoint endpoint, RequestScopes scopes) => endpoint.Kind switch
    {
        EndpointKind.Tcp => new ScopedThreadingTcpServer(endpoint.EndPoint, scopes) { DaemonThreads = true, BlockOnClose = false },
        EndpointKind.Udp => new ScopedThreadingUdpServer(endpoint.EndPoint, scopes) { DaemonThreads = true, BlockOnClose = false },
        EndpointKind.Unix => new ScopedThreadingUnixStreamServer(endpoint.EndPoint, scopes) { DaemonThreads = true, BlockOnClose = false },
        _ => new ScopedThreadingUnixDatagramServer(endpoint.EndPoint, scopes) { DaemonThreads = true, BlockOnClose = false },
    };

    // A stop does not wait for workers: each finishes its request (bounded by MaxRequestDuration), as under the command.
    private static TcpServer CreateForking(Endpoint endpoint, RequestScopes scopes) => endpoint.Kind switch
    {
        EndpointKind.Tcp => new ScopedForkingTcpServer(endpoint.EndPoint, scopes) { BlockOnClose = false },
        EndpointKind.Udp => new ScopedForkingUdpServer(endpoint.EndPoint, scopes) { BlockOnClose = false },
        EndpointKind.Unix => new ScopedForkingUnixStreamServer(endpoint.EndPoint, scopes) { BlockOnClose = false },
        _ => new ScopedForkingUnixDatagramServer(endpoint.EndPoint, scopes) { BlockOnClose = false },
    };
}
