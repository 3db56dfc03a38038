using System.Net;
using System.Net.Sockets;
using SocketServer.Internal;
using SocketServer.Internal.Dispatch;
using SocketServer.Internal.Unix;

namespace SocketServer;

/// <summary>A synchronous Unix-domain datagram server; Python's <c>socketserver.UnixDatagramServer</c>.</summary>
/// <remarks>
/// Replies go to the sender's address, so a client that wants one must bind its own socket to a path. By default,
/// like Python, the server never removes its socket file; <see cref="RecoverStaleSocketFile"/>,
/// <see cref="RemoveSocketFileOnClose"/>, <see cref="SocketFileMode"/> and <see cref="SocketFileGroup"/> opt in to
/// clean-up and permissions, as on <see cref="UnixStreamServer"/>.
/// </remarks>
public class UnixDatagramServer : UdpServer, IUnixSocketFileOptions
{
    /// <summary>Creates the server and, by default, binds it.</summary>
    /// <param name="serverAddress">A <see cref="UnixDomainSocketEndPoint"/>.</param>
    /// <param name="requestHandlerFactory">Creates one handler per datagram.</param>
    /// <param name="bindAndActivate">Whether to bind now.</param>
    /// <exception cref="ServerBindException">The path could not be bound.</exception>
    public UnixDatagramServer(EndPoint serverAddress, Func<BaseRequestHandler> requestHandlerFactory, bool bindAndActivate = true)
        : base(serverAddress, requestHandlerFactory, bindAndActivate, SynchronousDispatcher.Instance)
    {
    }

    /// <summary>Creates the server on a socket path and, by default, binds it.</summary>
    /// <param name="path">The socket file's path (on Linux, a leading NUL names an abstract socket).</param>
    /// <param name="requestHandlerFactory">Creates one handler per datagram.</param>
    /// <param name="bindAndActivate">Whether to bind now.</param>
    /// <exception cref="ServerBindException">The path could not be bound.</exception>
    public UnixDatagramServer(string path, Func<BaseRequestHandler> requestHandlerFactory, bool bindAndActivate = true)
        : this(new UnixDomainSocketEndPoint(path), requestHandlerFactory, bindAndActivate)
    {
    }

    private protected UnixDatagramServer(EndPoint serverAddress, Func<BaseRequestHandler> requestHandlerFactory, bool bindAndActivate, RequestDispatcher dispatcher)
        : base(serverAddress, requestHandlerFactory, bindAndActivate, dispatcher)
    {
    }

    /// <inheritdoc/>
    public override AddressFamily AddressFamily => AddressFamily.Unix;

    /// <inheritdoc cref="UnixStreamServer.RecoverStaleSocketFile"/>
    public virtual bool RecoverStaleSocketFile { get; set; }

    /// <inheritdoc cref="UnixStreamServer.RemoveSocketFileOnClose"/>
    public virtual bool RemoveSocketFileOnClose { get; set; }

    /// <inheritdoc cref="UnixStreamServer.SocketFileMode"/>
    public virtual UnixFileMode? SocketFileMode { get; set; }

    /// <inheritdoc cref="UnixStreamServer.SocketFileGroup"/>
    public virtual string? SocketFileGroup { get; set; }
}
