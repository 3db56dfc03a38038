using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Reactor;

namespace SocketServer.Internal.Async;

/// <summary>
/// <c>ProcessRequest</c> under <see cref="BaseServer.ServeAsync"/>: an <see cref="AsyncStreamRequestHandler"/> runs on
/// a loop of the reactor (round robin), with no thread of its own; any other handler, which may block, gets a
/// thread per request as under a threading server, so a synchronous handler still works. When the server has TLS, an
/// async handler's connection is served off the loops instead (<see cref="ReactorServeSession.TlsConnections"/>).
/// </summary>
internal sealed class AsyncDispatcher(ReactorServeSession session) : RequestDispatcher
{
    /// <inheritdoc/>
    public override void ProcessRequest(BaseServer server, object request, EndPoint? clientAddress)
    {
        BaseRequestHandler handler = server.RequestHandlerFactory()
            ?? throw new InvalidOperationException("The request handler factory returned null.");
        if (handler is AsyncStreamRequestHandler && request is Socket tlsSocket && PortableConnections.TlsOnAccept(server) is not null)
        {
            // NetworkStream wants Blocking true, but only .NET's view of it: the descriptor must stay non-blocking in the
            // kernel (SocketBlocking.Set would make it blocking), or the async reads .NET attempts inline on a
            // descriptor it believes non-blocking would block a pool thread, deaf to the handshake deadline.
            tlsSocket.Blocking = true;
            session.TlsConnections.Start(handler, tlsSocket, clientAddress);
            return;
        }

        if (handler is AsyncStreamRequestHandler && request is Socket socket)
        {
            EventLoop loop = session.Group.Next();
            var connection = new ServerStreamConnection(session, loop, socket, clientAddress);
            if (loop.IsOnLoopThread)
            {
                session.StartConnection(connection, handler, clientAddress);
            }
            else
            {
                loop.Post(new StartWork(session, connection, handler, clientAddress));
            }

            return;
        }

        if (handler is AsyncDatagramRequestHandler && session.IsOnLoopThread())
        {
            // As the synchronous dispatcher, on the loop: the handler starts here and does not block.
            HandlerFailures.ServeDatagram(server, handler, session, request, clientAddress);
            return;
        }

        if (request is Socket blocking)
        {
            // Accepted non-blocking for the loops; a synchronous handler reads and writes blocking.
            SocketBlocking.Set(blocking, blocking: true);
        }

        StartThread(server, handler, request, clientAddress);
    }

    /// <summary>Serves a request with a synchronous handler on a new background thread, as a threading server does.</summary>
    internal static void StartThread(BaseServer server, BaseRequestHandler handler, object request, EndPoint? clientAddress)
    {
        var thread = new Thread(() => ServeOnThread(server, handler, request, clientAddress))
        {
            IsBackground = true,
            Name = "socketserver-request",
        };
        thread.Start();
    }

    private static void ServeOnThread(BaseServer server, BaseRequestHandler handler, object request, EndPoint? clientAddress)
    {
        try
        {
            AmbientRequest.Prepare(handler);
            server.InvokeFinishRequest(request, clientAddress);
        }
        catch (Exception e) when (e is not ServerExitException)
        {
            if (server.IsLimitFailure(request, e))
            {
                // Counted and reported when the limit ended the connection, as under a threading server.
                return;
            }

            try
            {
                server.InvokeHandleError(request, clientAddress, e);
            }
            catch (Exception inner)
            {
                server.InvokeHandleThreadException(request, clientAddress, inner);
            }
        }
        catch (ServerExitException e)
        {
            server.InvokeHandleThreadException(request, clientAddress, e);
        }
        finally
        {
            AmbientRequest.Prepare(null);
            try
            {
                server.InvokeShutdownRequest(request);
            }
            catch (Exception e)
            {
                server.InvokeHandleThreadException(request, clientAddress, e);
            }
        }
    }

    private sealed class StartWork(ReactorServeSession session, ServerStreamConnection connection, BaseRequestHandler handler, EndPoint? clientAddress) : IReactorWork
    {
        public void Execute() => session.StartConnection(connection, handler, clientAddress);
    }
}
