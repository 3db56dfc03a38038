using System.Net;

namespace SocketServer.Internal;

/// <summary>
/// How a server runs a verified request: the part of Python's mix-ins that overrides <c>process_request</c>,
/// <c>server_close</c>, <c>service_actions</c> and <c>handle_timeout</c>. A server holds exactly one.
/// </summary>
internal abstract class RequestDispatcher
{
    /// <summary>Runs the request; on the synchronous path it has ended when this returns.</summary>
    public abstract void ProcessRequest(BaseServer server, object request, EndPoint? clientAddress);

    /// <summary>Called by <see cref="BaseServer.ServerClose"/> after the socket is closed.</summary>
    public virtual void ServerClosed(BaseServer server)
    {
    }

    /// <summary>Called once per loop iteration.</summary>
    public virtual void ServiceActions(BaseServer server)
    {
    }

    /// <summary>Called when <see cref="BaseServer.HandleRequest"/> times out.</summary>
    public virtual void HandleTimeout(BaseServer server)
    {
    }
}
