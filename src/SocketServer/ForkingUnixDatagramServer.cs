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

    /// <inheritdoc cref="ForkingTcpServer.Timeout"/>
    public override TimeSpan? Timeout { get; set; } = TimeSpan.FromSeconds(300);

    /// <inheritdoc cref="ForkingTcpServer.MaxChildren"/>
    public virtual int MaxChildren { get; set; } = 40;

    /// <inheritdoc cref="ForkingTcpServer.BlockOnClose"/>
    public virtual bool BlockOnClose { get; set; } = true;

    /// <inheritdoc cref="ForkingTcpServer.RequestsPerChild"/>
    public virtual int RequestsPerChild { get; set; } = 1;

    /// <inheritdoc cref="ForkingTcpServer.SpareWorkers"/>
    public virtual int SpareWorkers { get; set; }

    /// <inheritdoc cref="ForkingTcpServer.MaxRequestDuration"/>
    public virtual TimeSpan? MaxRequestDuration { get; set; }

    /// <inheritdoc cref="ForkingTcpServer.WorkerStartInfo"/>
    public virtual Func<ProcessStartInfo>? WorkerStartInfo { get; set; }

    /// <inheritdoc cref="ForkingTcpServer.ActiveChildren"/>
    public IReadOnlyCollection<int>? ActiveChildren => Forking.ActiveChildren;

    private ProcessDispatcher Forking => (ProcessDispatcher)Dispatcher;

    /// <inheritdoc cref="ForkingTcpServer.CollectChildren(bool)"/>
    public void CollectChildren(bool blocking = false) => Forking.CollectChildren(this, blocking);

    /// <inheritdoc cref="ForkingTcpServer.HandleChildFailure(ChildProcessFailure)"/>
    protected virtual void HandleChildFailure(ChildProcessFailure failure) => Diagnostics.WorkerFailed(failure);

    void IForkingServer.ReportChildFailure(ChildProcessFailure failure) => HandleChildFailure(failure);
}
