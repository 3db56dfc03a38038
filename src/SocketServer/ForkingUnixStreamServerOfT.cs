using System.Net;
using System.Net.Sockets;

namespace SocketServer;

/// <summary>A <see cref="ForkingUnixStreamServer"/> that creates a new <typeparamref name="THandler"/> for each request.</summary>
/// <typeparam name="THandler">The request handler type; Python's <c>RequestHandlerClass</c>.</typeparam>
public class ForkingUnixStreamServer<THandler> : ForkingUnixStreamServer
    where THandler : BaseRequestHandler, new()
{
    /// <summary>Creates the server and, by default, binds it.</summary>
    /// <param name="serverAddress">A <see cref="UnixDomainSocketEndPoint"/>.</param>
    /// <param name="bindAndActivate">Whether to bind now.</param>
    /// <exception cref="ServerBindException">The address could not be bound.</exception>
    public ForkingUnixStreamServer(EndPoint serverAddress, bool bindAndActivate = true)
        : base(serverAddress, static () => new THandler(), bindAndActivate)
    {
    }

    /// <summary>Creates the server on a socket path and, by default, binds it.</summary>
    /// <param name="path">The socket file's path (on Linux, a leading NUL names an abstract socket).</param>
    /// <param name="bindAndActivate">Whether to bind now.</param>
    /// <exception cref="ServerBindException">The path could not be bound.</exception>
    public ForkingUnixStreamServer(string path, bool bindAndActivate = true)
        : base(path, static () => new THandler(), bindAndActivate)
    {
    }
}
