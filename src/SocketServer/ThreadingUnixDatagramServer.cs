using System.Net;
using System.Net.Sockets;
using SocketServer.Internal;
using SocketServer.Internal.Dispatch;

namespace SocketServer;

/// <summary>
/// A <see cref="UnixDatagramServer"/> that serves each datagram on a thread of its own; Python's <c>ThreadingUnixDatagramServer</c>
/// (<c>ThreadingMixIn</c> + <c>UnixDatagramServer</c>).
/// </summary>
/// <remarks>
/// Each request gets a dedicated <see cref="Thread"/>, not a thread-pool item, so it may block freely: a new one, or
/// one that finished an earlier request and waited for the next (see <see cref="MaxIdleThreads"/>).
/// <see cref="BaseServer.HandleError"/> and <see cref="BaseServer.ShutdownRequest"/> run on that thread. Ended
/// requests are forgotten as new ones start, so a long-running server tracks only the live ones.
/// </remarks>
public class ThreadingUnixDatagramServer : UnixDatagramServer, IThreadingServer
{
    /// <summary>Creates the server and, by default, binds it.</summary>
    /// <param name="serverAddress">A <see cref="UnixDomainSocketEndPoint"/>.</param>
    /// <param name="requestHandlerFactory">Creates one handler per datagram.</param>
    /// <param name="bindAndActivate">Whether to bind now.</param>
    /// <exception cref="ServerBindException">The address could not be bound.</exception>
    public ThreadingUnixDatagramServer(EndPoint serverAddress, Func<BaseRequestHandler> requestHandlerFactory, bool bindAndActivate = true)
        : base(serverAddress, requestHandlerFactory, bindAndActivate, new ThreadingDispatcher())
    {
    }

    /// <summary>Creates the server on a socket path and, by default, binds it.</summary>
    /// <param name="path">The socket file's path (on Linux, a leading NUL names an abstract socket).</param>
    /// <param name="requestHandlerFactory">Creates one handler per datagram.</param>
    /// <param name="bindAndActivate">Whether to bind now.</param>
    /// <exception cref="ServerBindException">The path could not be bound.</exception>
    public ThreadingUnixDatagramServer(string path, Func<BaseRequestHandler> requestHandlerFactory, bool bindAndActivate = true)
        : this(new UnixDomainSocketEndPoint(path), requestHandlerFactory, bindAndActivate)
    {
    }

    /// <inheritdoc cref="ThreadingTcpServer.DaemonThreads"/>
    public virtual bool DaemonThreads { get; set; }

    /// <inheritdoc cref="ThreadingTcpServer.BlockOnClose"/>
    public virtual bool BlockOnClose { get; set; } = true;

    /// <inheritdoc cref="ThreadingTcpServer.MaxIdleThreads"/>
    public virtual int MaxIdleThreads { get; set; } = 64;

    internal int TrackedThreadCount => ((ThreadingDispatcher)Dispatcher).TrackedThreadCount;

    internal int ParkedThreadCount => ((ThreadingDispatcher)Dispatcher).ParkedThreadCount;
}
