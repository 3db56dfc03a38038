using System.Net;
using System.Net.Sockets;
using SocketServer.Internal;
using SocketServer.Internal.Dispatch;

namespace SocketServer;

/// <summary>
/// A <see cref="UnixDatagramServer"/> that serves each datagram on a new thread; Python's <c>ThreadingUnixDatagramServer</c>
/// (<c>ThreadingMixIn</c> + <c>UnixDatagramServer</c>).
/// </summary>
/// <remarks>
/// Each request gets a dedicated <see cref="Thread"/>, not a thread-pool item, so it may block freely.
/// <see cref="BaseServer.HandleError"/> and <see cref="BaseServer.ShutdownRequest"/> run on that thread. Finished
/// threads are forgotten as new ones start, so a long-running server tracks only the live ones.
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

    /// <summary>
    /// Whether request threads are background threads, which neither keep the process alive nor are waited for by
    /// <see cref="TcpServer.ServerClose"/>. <see langword="false"/> by default, as Python's <c>daemon_threads</c>.
    /// </summary>
    /// <remarks>May be overridden. Read when each request thread starts.</remarks>
    public virtual bool DaemonThreads { get; set; }

    /// <summary>
    /// Whether <see cref="TcpServer.ServerClose"/> waits for the non-background request threads.
    /// <see langword="true"/> by default, as Python's <c>block_on_close</c>.
    /// </summary>
    /// <remarks>
    /// May be overridden. When it is false threads are not tracked at all. A handler blocked on an idle client
    /// makes a blocking close wait as long. A close called from a request thread (a handler calling
    /// <c>ServerClose()</c>) waits for the other request threads, then throws <see cref="InvalidOperationException"/>
    /// rather than wait for itself, as Python raises there; the socket is already closed by then.
    /// </remarks>
    public virtual bool BlockOnClose { get; set; } = true;

    internal int TrackedThreadCount => ((ThreadingDispatcher)Dispatcher).TrackedThreadCount;
}
