using System.Net;
using SocketServer.Internal;

namespace SocketServer.Internal.Dispatch;

/// <summary>
/// How a server runs a verified request: the part of Python's mix-ins that overrides <c>process_request</c>,
/// <c>server_close</c>, <c>service_actions</c> and <c>handle_timeout</c>. A server holds exactly one.
/// </summary>
internal abstract class RequestDispatcher
{
    /// <summary>Whether the server binds and listens in this process (a forking worker does not: its parent does).</summary>
    public virtual bool BindsInThisProcess => true;

    /// <summary>
    /// Whether the server's <see cref="ServerLimits"/> track the connections it accepts. A forking server hands each
    /// connection to a worker process, where the parent's heartbeat cannot follow it.
    /// </summary>
    public virtual bool TracksConnections => true;

    /// <summary>
    /// Whether <c>ServeAsync</c> serves this server's requests on its event loops (or the portable transport). A
    /// forking server says no: its requests must stay in worker processes, so <c>ServeAsync</c> runs its own loop.
    /// </summary>
    public virtual bool ServesOnEventLoops => true;

    /// <summary>
    /// In a forking worker process, serves the requests the parent hands over and ends the process; returns false in
    /// an ordinary process, where the caller runs its own loop.
    /// </summary>
    public virtual bool TryServeAsWorker(BaseServer server) => false;

    /// <summary>Runs the request; on the synchronous path it has ended when this returns.</summary>
    public abstract void ProcessRequest(BaseServer server, object request, EndPoint? clientAddress);

    /// <summary>Called by <see cref="BaseServer.ServerClose"/> after the socket is closed.</summary>
    public virtual void ServerClosed(BaseServer server)
    {
    }

    /// <summary>
    /// The dispatcher's part of a graceful drain (<see cref="BaseServer.ShutdownAsync"/>), once the loop has stopped:
    /// requests it runs out of the server's sight (a forking server's workers) may finish within
    /// <paramref name="grace"/>; what is left is then aborted.
    /// </summary>
    /// <returns>How many such requests completed and how many were aborted; (0, 0) by default.</returns>
    public virtual Task<(int Completed, int Aborted)> DrainAsync(BaseServer server, TimeSpan grace, TimeProvider time, CancellationToken token) =>
        Task.FromResult((0, 0));

    /// <summary>Called once per loop iteration.</summary>
    public virtual void ServiceActions(BaseServer server)
    {
    }

    /// <summary>Called when <see cref="BaseServer.HandleRequest"/> times out.</summary>
    public virtual void HandleTimeout(BaseServer server)
    {
    }
}
