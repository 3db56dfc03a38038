using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Async;
using SocketServer.Internal.Requests;

namespace SocketServer.Internal.Dispatch;

/// <summary>
/// <c>ProcessRequest</c> under <see cref="BaseServer.ServeAsync"/>, on either transport: it builds the handler to see
/// where the request runs. An <see cref="AsyncStreamRequestHandler"/> runs on a connection of the session (a reactor
/// loop's, or the portable transport's; over TLS off the loops), with no thread of its own; an
/// <see cref="AsyncDatagramRequestHandler"/> starts inline where the datagram was received; any other handler, which
/// may block, gets a request thread, as under a threading server (the server's own settings when it is one).
/// </summary>
internal sealed class AsyncDispatcher(IServeSession session) : RequestDispatcher
{
    /// <inheritdoc/>
    public override void ProcessRequest(BaseServer server, object request, EndPoint? clientAddress)
    {
        // A pooled datagram (the reactor's) may be served by an idle handler that opted in to serving again.
        BaseRequestHandler handler = request is DatagramRequest { Pool: { } pool } datagram
            ? pool.HandlerFor(server, datagram, clientAddress)
            : server.CreateHandlerFor(request, clientAddress);
        if (handler is AsyncStreamRequestHandler && request is Socket or AcceptedSocket)
        {
            session.StartConnection(handler, request, clientAddress);
            return;
        }

        if (handler is AsyncDatagramRequestHandler && session.CanServeInline())
        {
            server.Pipeline.FinishDatagramInline(handler, session, request, clientAddress);
            return;
        }

        if (AcceptedSocket.SocketOf(request) is { } socket)
        {
            session.PrepareForRequestThread(socket);
        }

        var prepared = new PreparedRequest(handler);
        if (server.Dispatcher is ThreadingDispatcher threading)
        {
            threading.Start(server, request, clientAddress, prepared);
        }
        else
        {
            ThreadingDispatcher.StartThread(server, request, clientAddress, daemon: true, threads: null, prepared);
        }
    }
}
