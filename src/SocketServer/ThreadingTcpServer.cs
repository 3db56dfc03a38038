using System.Net;
using SocketServer.Internal;
using SocketServer.Internal.Dispatch;

namespace SocketServer;

/// <summary>
/// A <see cref="TcpServer"/> that serves each connection on a thread of its own; Python's <c>ThreadingTCPServer</c>
/// (<c>ThreadingMixIn</c> + <c>TCPServer</c>).
/// </summary>
/// <remarks>
/// Each request gets a dedicated <see cref="Thread"/>, not a thread-pool item, so it may block freely: a new one, or
/// one that finished an earlier request and waited for the next (see <see cref="MaxIdleThreads"/>).
/// <see cref="BaseServer.HandleError"/> and <see cref="BaseServer.ShutdownRequest"/> run on that thread. Ended
/// requests are forgotten as new ones start, so a long-running server tracks only the live ones.
/// </remarks>
public class ThreadingTcpServer : TcpServer, IThreadingServer
{
    /// <summary>Creates the server and, by default, binds it.</summary>
    /// <param name="serverAddress">An <see cref="IPEndPoint"/> (IPv4 or IPv6); port 0 picks a free port.</param>
    /// <param name="requestHandlerFactory">Creates one handler per connection.</param>
    /// <param name="bindAndActivate">Whether to bind now.</param>
    /// <exception cref="ServerBindException">The address could not be bound.</exception>
    public ThreadingTcpServer(EndPoint serverAddress, Func<BaseRequestHandler> requestHandlerFactory, bool bindAndActivate = true)
        : base(serverAddress, requestHandlerFactory, bindAndActivate, new ThreadingDispatcher())
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

    /// <summary>
    /// How many request threads, once their request ended, may wait to serve the next request instead of ending;
    /// 64 by default, 0 for a new thread for every request as in Python.
    /// </summary>
    /// <remarks>
    /// <para>
    /// May be overridden. Read each time a request ends. A new thread costs far more than a short connection (about 40
    /// system calls), so a parked thread is handed the next request; one that waits 20 seconds without a request ends,
    /// and <see cref="TcpServer.ServerClose"/> ends them all. A request on a reused thread runs as on a new one: its
    /// own <c>Thread-N</c> name, <see cref="DaemonThreads"/> flag and <see cref="BlockOnClose"/> wait, the execution
    /// context of the thread that dispatched it (so <see cref="AsyncLocal{T}"/> values, culture and principal set by
    /// one request do not reach the next) and normal priority.
    /// </para>
    /// <para>
    /// What a handler keeps in thread-static fields or a <see cref="ThreadLocal{T}"/> does outlive its request on a
    /// reused thread, and the thread's <see cref="Thread.ManagedThreadId"/> repeats. Keep a request's
    /// state in the handler's fields or an <see cref="AsyncLocal{T}"/>, or set this to 0.
    /// </para>
    /// </remarks>
    public virtual int MaxIdleThreads { get; set; } = 64;

    internal int TrackedThreadCount => ((ThreadingDispatcher)Dispatcher).TrackedThreadCount;

    internal int ParkedThreadCount => ((ThreadingDispatcher)Dispatcher).ParkedThreadCount;

    internal TimeSpan ParkedThreadIdleTimeout
    {
        get => ((ThreadingDispatcher)Dispatcher).ParkedThreadIdleTimeout;
        set => ((ThreadingDispatcher)Dispatcher).ParkedThreadIdleTimeout = value;
    }
}
