using System.Net;
using System.Net.Sockets;
using SocketServer.Internal;

namespace SocketServer;

/// <summary>A synchronous Unix-domain stream server; Python's <c>socketserver.UnixStreamServer</c>.</summary>
/// <remarks>
/// Like Python it never removes its socket file: binding to an existing path fails, and
/// <see cref="TcpServer.ServerClose"/> leaves the file behind. A client that did not bind its own socket has an
/// empty address. SO_REUSEPORT is never set on Unix sockets.
/// </remarks>
public class UnixStreamServer : TcpServer
{
    /// <summary>Creates the server and, by default, binds and starts listening.</summary>
    /// <param name="serverAddress">A <see cref="UnixDomainSocketEndPoint"/>.</param>
    /// <param name="requestHandlerFactory">Creates one handler per connection.</param>
    /// <param name="bindAndActivate">Whether to bind and listen now.</param>
    /// <exception cref="ServerBindException">The path could not be bound.</exception>
    public UnixStreamServer(EndPoint serverAddress, Func<BaseRequestHandler> requestHandlerFactory, bool bindAndActivate = true)
        : base(serverAddress, requestHandlerFactory, bindAndActivate, SynchronousDispatcher.Instance)
    {
    }

    /// <summary>Creates the server on a socket path and, by default, binds and starts listening.</summary>
    /// <param name="path">The socket file's path (on Linux, a leading NUL names an abstract socket).</param>
    /// <param name="requestHandlerFactory">Creates one handler per connection.</param>
    /// <param name="bindAndActivate">Whether to bind and listen now.</param>
    /// <exception cref="ServerBindException">The path could not be bound.</exception>
    public UnixStreamServer(string path, Func<BaseRequestHandler> requestHandlerFactory, bool bindAndActivate = true)
        : this(new UnixDomainSocketEndPoint(path), requestHandlerFactory, bindAndActivate)
    {
    }

    private protected UnixStreamServer(EndPoint serverAddress, Func<BaseRequestHandler> requestHandlerFactory, bool bindAndActivate, RequestDispatcher dispatcher)
        : base(serverAddress, requestHandlerFactory, bindAndActivate, dispatcher)
    {
    }

    /// <inheritdoc/>
    public override AddressFamily AddressFamily => AddressFamily.Unix;
}
