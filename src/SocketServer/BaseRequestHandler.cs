using System.Net;

namespace SocketServer;

/// <summary>
/// The base of every request handler; Python's <c>socketserver.BaseRequestHandler</c>. The server creates one
/// handler per request and calls <see cref="Serve"/>, which runs <see cref="Setup"/>, <see cref="Handle"/> and,
/// in a <see langword="finally"/>, <see cref="Finish"/>.
/// </summary>
/// <remarks>
/// Override <see cref="Handle"/> to serve the request. If <see cref="Setup"/> throws, <see cref="Finish"/> does
/// not run; if <see cref="Handle"/> throws, <see cref="Finish"/> still runs and the exception reaches the server's
/// <see cref="BaseServer.HandleError"/>.
/// </remarks>
public class BaseRequestHandler
{
    private int _served;
    private object _request = null!;

    /// <summary>
    /// The request: the connected <see cref="System.Net.Sockets.Socket"/> on stream servers, a
    /// <see cref="DatagramRequest"/> on datagram servers, or whatever a custom <c>GetRequest</c> returns.
    /// </summary>
    /// <remarks>
    /// Under <see cref="BaseServer.ServeAsync"/> on Linux, when none of the server's hooks that are given the request
    /// is overridden, the connection's <see cref="System.Net.Sockets.Socket"/> is built the first time this is read
    /// (a handler that never asks spares its cost); it is the same object on every read.
    /// </remarks>
    public object Request => _request is Internal.Requests.AcceptedSocket accepted ? accepted.Socket : _request;

    /// <summary>The request as the server's pipeline and hooks know it (an accepted socket not yet built, for one).</summary>
    internal object RequestKey => _request;

    /// <summary>The client's address; an empty Unix address for an unnamed Unix peer.</summary>
    public EndPoint? ClientAddress { get; private set; }

    /// <summary>
    /// The PROXY protocol header sent before the request by a trusted proxy (see <see cref="TcpServer.ProxyProtocol"/>),
    /// or null. <see cref="ClientAddress"/> is already its source; this gives the rest: the proxy's own address, the
    /// destination, and the v2 TLVs.
    /// </summary>
    public ProxyHeader? ProxyHeader { get; private set; }

    /// <summary>The server that received the request.</summary>
    public BaseServer Server { get; private set; } = null!;

    /// <summary>Serves one request: stores its parts, then runs <see cref="Setup"/>, <see cref="Handle"/> and <see cref="Finish"/>.</summary>
    /// <param name="request">The request.</param>
    /// <param name="clientAddress">The client's address.</param>
    /// <param name="server">The server.</param>
    /// <remarks>Python does this in the handler's constructor. A handler serves one request only.</remarks>
    /// <exception cref="InvalidOperationException">The handler has served a request already.</exception>
    public void Serve(object request, EndPoint? clientAddress, BaseServer server)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(server);
        Attach(request, clientAddress, server);
        Setup();
        try
        {
            Handle();
        }
        finally
        {
            Finish();
        }
    }

    /// <summary>Takes the request (once per handler), as <see cref="Serve"/> does; the async path uses it too.</summary>
    internal void Attach(object request, EndPoint? clientAddress, BaseServer server)
    {
        if (Interlocked.Exchange(ref _served, 1) != 0)
        {
            throw new InvalidOperationException("A request handler serves one request; the factory must return a new handler each time.");
        }

        _request = request;
        ClientAddress = clientAddress;
        Server = server;
        ProxyHeader = server.GetProxyHeader(request);
        // What the dispatcher offered for this request (the async path's connection or datagram host), if anything.
        Prepared = server.Pipeline.Handoffs.Find(request);
    }

    /// <summary>
    /// Forgets the request served, so that the instance may serve another: only for a handler that opted in
    /// (<see cref="AsyncDatagramRequestHandler.Reusable"/>), once its request has ended.
    /// </summary>
    internal virtual void Detach()
    {
        _request = null!;
        ClientAddress = null;
        Server = null!;
        Prepared = null;
        Volatile.Write(ref _served, 0);
    }

    /// <summary>What the dispatcher prepared for this request beside the handler, or null on the faithful path.</summary>
    private protected Internal.Requests.PreparedRequest? Prepared { get; set; }

    /// <summary>Prepares for <see cref="Handle"/>; does nothing by default.</summary>
    /// <remarks>May be overridden.</remarks>
    protected virtual void Setup()
    {
    }

    /// <summary>Serves the request; does nothing by default.</summary>
    /// <remarks>May be overridden; nearly every handler does.</remarks>
    protected virtual void Handle()
    {
    }

    /// <summary>Cleans up after <see cref="Handle"/>, even when it threw; does nothing by default.</summary>
    /// <remarks>May be overridden.</remarks>
    protected virtual void Finish()
    {
    }
}
