using System.Net;

namespace SocketServer;

/// <summary>A <see cref="ForkingTcpServer"/> that creates a new <typeparamref name="THandler"/> for each request.</summary>
/// <typeparam name="THandler">The request handler type; Python's <c>RequestHandlerClass</c>.</typeparam>
public class ForkingTcpServer<THandler> : ForkingTcpServer
    where THandler : BaseRequestHandler, new()
{
    /// <summary>Creates the server and, by default, binds it.</summary>
    /// <param name="serverAddress">An <see cref="IPEndPoint"/> (IPv4 or IPv6); port 0 picks a free port.</param>
    /// <param name="bindAndActivate">Whether to bind now.</param>
    /// <exception cref="ServerBindException">The address could not be bound.</exception>
    public ForkingTcpServer(EndPoint serverAddress, bool bindAndActivate = true)
        : base(serverAddress, static () => new THandler(), bindAndActivate)
    {
    }
}
