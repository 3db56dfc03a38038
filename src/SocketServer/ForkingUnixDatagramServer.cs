using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Forking;

namespace SocketServer;

/// <summary>
/// A <see cref="UnixDatagramServer"/> that serves each datagram in a separate worker process; Python's <c>ForkingUnixDatagramServer</c>
/// (<c>ForkingMixIn</c> + <c>UnixDatagramServer</c>). See <see cref="ForkingWorker"/> for how the
/// worker process is this same program started again.
/// </summary>
/// <remarks>
/// <para>
/// .NET cannot fork a running runtime, so a worker is this program started again: when it constructs this server
/// (the same server, counted in construction order) and calls <see cref="BaseServer.ServeForever()"/>, it serves the
/// requests the parent hands it instead of binding. A crash, leak or hang in a handler costs one worker process and
/// the request it was serving, never the server.
/// </para>
/// <para>Requires 64-bit Linux (descriptors are passed with SCM_RIGHTS).</para>
/// </remarks>
public class ForkingUnixDatagramServer : UnixDatagramServer, IForkingServer
{
    /// <summary>Creates the server and, by default, binds it (not in a worker process).</summary>
    /// <param name="serverAddress">A <see cref="UnixDomainSocketEndPoint"/>.</param>
    /// <param name="requestHandlerFactory">Creates one handler per datagram, in the worker process.</param>
    /// <param name="bindAndActivate">Whether to bind now.</param>
    /// <exception cref="ServerBindException">The address could not be bound.</exception>
    /// <exception cref="PlatformNotSupportedException">Not 64-bit Linux.</exception>
    public ForkingUnixDatagramServer(EndPoint serverAddress, Func<BaseRequestHandler> requestHandlerFactory, bool bindAndActivate = true)
        : base(serverAddress, requestHandlerFactory, bindAndActivate, new ProcessDispatcher())
    {
    }

    /// <summary>Creates the server on a socket path and, by default, binds it (not in a worker process).</summary>
    /// <param name="path">The socket file's path (on Linux, a leading NUL names an abstract socket).</param>
    /// <param name="requestHandlerFactory">Creates one handler per datagram, in the worker process.</param>
    /// <param name="bindAndActivate">Whether to bind now.</param>
    /// <exception cref="ServerBindException">The path could not be bound.</exception>
    /// <exception cref="PlatformNotSupportedException">Not 64-bit Linux.</exception>
    public ForkingUnixDatagramServer(string path, Func<BaseRequestHandler> requestHandlerFactory, bool bindAndActivate = true)
        : this(new UnixDomainSocketEndPoint(path), requestHandlerFactory, bindAndActivate)
    {
    }

    /// <summary>How long <see cref="BaseServer.HandleRequest"/> waits: 300 seconds, so callers that loop on it reap workers at least that often.</summary>
    public override TimeSpan? Timeout { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>The most requests served at once; 40 by default, as Python's <c>max_children</c>.</summary>
    /// <remarks>May be overridden. As in Python, the limit is enforced when children are collected, after each request.</remarks>
    public virtual int MaxChildren { get; set; } = 40;

    /// <summary>Whether <see cref="TcpServer.ServerClose"/> waits for every worker to finish; <see langword="true"/> by default.</summary>
    /// <remarks>
    /// May be overridden. Either way the close tells idle workers to exit and busy ones to exit after their request.
    /// When it is false the close waits for nothing; no worker outlives this process, though: a worker whose parent is
    /// gone exits at once.
    /// </remarks>
    public virtual bool BlockOnClose { get; set; } = true;

    /// <summary>
    /// How many requests a worker serves before it exits: 1 (the default) gives each request a fresh process, as fork
    /// does; more keeps workers warm, as Apache's prefork does; 0 for no limit.
    /// </summary>
    /// <remarks>May be overridden. Read when each request is handed over.</remarks>
    public virtual int RequestsPerChild { get; set; } = 1;

    /// <summary>How many idle workers to keep started ahead of requests, so a request need not wait for a process start; 0 by default.</summary>
    /// <remarks>May be overridden. <see cref="BaseServer.ServiceActions"/> starts spares without waiting for them; they join the pool when they connect.</remarks>
    public virtual int SpareWorkers { get; set; }

    /// <summary>The longest a worker may spend on one request before it is killed; <see langword="null"/> (the default) for no limit.</summary>
    /// <remarks>May be overridden. Checked whenever children are collected, at least once per poll interval.</remarks>
    public virtual TimeSpan? MaxRequestDuration { get; set; }

    /// <summary>How to start a worker; <see langword="null"/> (the default) starts this program again with the same arguments.</summary>
    /// <remarks>
    /// May be overridden. The library adds the environment variable that gives the process its worker role. In a
    /// program started this way, the first forking server it builds is the worker's.
    /// </remarks>
    public virtual Func<ProcessStartInfo>? WorkerStartInfo { get; set; }

    /// <summary>The process ids of the live workers; <see langword="null"/> until the first was started, as in Python.</summary>
    public IReadOnlyCollection<int>? ActiveChildren => Forking.ActiveChildren;

    private ProcessDispatcher Forking => (ProcessDispatcher)Dispatcher;

    /// <summary>Reaps finished workers and waits while <see cref="MaxChildren"/> requests are in progress; Python's <c>collect_children</c>.</summary>
    /// <param name="blocking">Whether to wait for every worker to finish.</param>
    public void CollectChildren(bool blocking = false) => Forking.CollectChildren(this, blocking);

    /// <summary>
    /// Reports a worker that died, was killed, or exited abnormally; by default logs one Warning line (event 400) to
    /// <see cref="BaseServer.LoggerFactory"/>, or to standard error without one.
    /// </summary>
    /// <param name="failure">What happened.</param>
    /// <remarks>May be overridden. The server goes on serving.</remarks>
    protected virtual void HandleChildFailure(ChildProcessFailure failure) => Diagnostics.WorkerFailed(failure);

    void IForkingServer.ReportChildFailure(ChildProcessFailure failure) => HandleChildFailure(failure);
}
