using System.Net;
using System.Net.Sockets;
using SocketServer.Internal;
using SocketServer.Internal.Dispatch;
using SocketServer.Internal.Requests;

namespace SocketServer;

/// <summary>
/// The core of every server: the request loop (<see cref="ServeForever()"/>, <see cref="HandleRequest"/>,
/// <see cref="Shutdown"/>) and the hooks it calls, in the same order as Python's <c>socketserver.BaseServer</c>.
/// </summary>
/// <remarks>
/// <para>
/// Derive from <see cref="TcpServer"/>, <see cref="UdpServer"/>, <see cref="UnixStreamServer"/> or
/// <see cref="UnixDatagramServer"/> rather than from this class; they supply the <see cref="Socket"/>.
/// A request travels get → verify → process → finish → shutdown:
/// <see cref="GetRequest"/>, <see cref="VerifyRequest"/>, <see cref="ProcessRequest"/>,
/// <see cref="FinishRequest"/> (which runs the handler), then <see cref="ShutdownRequest"/> and
/// <see cref="CloseRequest"/>. Every hook is virtual and may be overridden.
/// </para>
/// <para>
/// Ordinary exceptions from a request go to <see cref="HandleError"/> and the server keeps serving.
/// A <see cref="ServerExitException"/> plays the part of Python's <c>SystemExit</c>: the request is shut
/// down and the exception propagates out of <see cref="HandleRequest"/> or <see cref="ServeForever()"/>.
/// </para>
/// </remarks>
// The non-public methods are kept for RequestHooks, which looks for the hooks a server class overrides.
[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.NonPublicMethods)]
public abstract partial class BaseServer : IDisposable
{
    private readonly RequestDispatcher _dispatcher;

    /// <summary>Initialises the server state. It neither creates nor binds a socket.</summary>
    /// <param name="serverAddress">The address to serve on.</param>
    /// <param name="requestHandlerFactory">Creates one handler per request.</param>
    /// <remarks>May be extended; the constructor of a derived class runs after this one.</remarks>
    protected BaseServer(EndPoint serverAddress, Func<BaseRequestHandler> requestHandlerFactory)
        : this(serverAddress, requestHandlerFactory, SynchronousDispatcher.Instance)
    {
    }

    private protected BaseServer(EndPoint serverAddress, Func<BaseRequestHandler> requestHandlerFactory, RequestDispatcher dispatcher)
    {
        ArgumentNullException.ThrowIfNull(serverAddress);
        ArgumentNullException.ThrowIfNull(requestHandlerFactory);
        ServerAddress = serverAddress;
        RequestHandlerFactory = requestHandlerFactory;
        _dispatcher = dispatcher;
        Pipeline = new RequestPipeline(this);
    }

    /// <summary>
    /// The address the server serves on. After binding it is the socket's real local address, so a port of 0
    /// has become the port the system chose.
    /// </summary>
    public EndPoint ServerAddress { get; protected set; }

    /// <summary>Creates the handler for each request; Python's <c>RequestHandlerClass</c>.</summary>
    public Func<BaseRequestHandler> RequestHandlerFactory { get; }

    /// <summary>
    /// How long <see cref="HandleRequest"/> waits for a request before it calls <see cref="HandleTimeout"/>;
    /// <see langword="null"/> (the default) waits for ever. <see cref="ServeForever()"/> ignores it.
    /// </summary>
    /// <remarks>
    /// May be overridden. When the listening socket has a <see cref="Socket.ReceiveTimeout"/>, the shorter of
    /// the two applies, as Python honours <c>socket.settimeout()</c> on the listening socket.
    /// </remarks>
    public virtual TimeSpan? Timeout { get; set; }

    /// <summary>The socket the server listens or receives on.</summary>
    public abstract Socket Socket { get; }

    /// <summary>Whether <see cref="ServerClose"/> has run.</summary>
    public bool IsClosed { get; private protected set; }

    internal RequestDispatcher Dispatcher => _dispatcher;

    /// <summary>The one request path every mode of this server uses.</summary>
    internal RequestPipeline Pipeline { get; }

    /// <summary>Returns the operating-system descriptor of <see cref="Socket"/>, or -1 once the server is closed.</summary>
    /// <returns>The descriptor (a file descriptor on Unix, a SOCKET handle on Windows), or -1.</returns>
    public virtual int Fileno() => IsClosed ? -1 : (int)Socket.Handle;

    /// <summary>Called by the constructor to bind the socket to <see cref="ServerAddress"/>.</summary>
    /// <remarks>May be overridden. Call it yourself after constructing with <c>bindAndActivate: false</c>.</remarks>
    public virtual void ServerBind()
    {
    }

    /// <summary>Called by the constructor after <see cref="ServerBind"/> to start listening.</summary>
    /// <remarks>May be overridden. Call it yourself after constructing with <c>bindAndActivate: false</c>.</remarks>
    public virtual void ServerActivate()
    {
    }

    /// <summary>
    /// Cleans up the server: derived servers close <see cref="Socket"/>. Threading servers then wait for
    /// their request threads when <c>BlockOnClose</c> is set. Calling it again does nothing.
    /// </summary>
    /// <remarks>
    /// May be overridden; call the base. When <see cref="ServeForever()"/> is running on another thread it
    /// returns promptly (Python's loop would spin on the closed descriptor instead).
    /// </remarks>
    public virtual void ServerClose()
    {
        IsClosed = true;
        // The loop sees IsClosed once woken; an async session stops.
        _run?.RequestStop();
        try
        {
            // A threading server joins its request threads here (ServerClose on one of them throws, after the others).
            _dispatcher.ServerClosed(this);
        }
        finally
        {
            _connections?.Dispose();
            _diagnostics?.Dispose();
        }
    }

    /// <summary>Gets the next request from the socket, with the client's address.</summary>
    /// <returns>The request object and the client's address.</returns>
    /// <remarks>
    /// May be overridden. A <see cref="SocketException"/>, <see cref="IOException"/> or
    /// <see cref="ObjectDisposedException"/> thrown here is ignored and no request is handled.
    /// </remarks>
    protected abstract (object Request, EndPoint? ClientAddress) GetRequest();

    /// <summary>Decides whether to serve a request; return <see langword="false"/> to refuse it.</summary>
    /// <param name="request">The request.</param>
    /// <param name="clientAddress">The client's address.</param>
    /// <returns><see langword="true"/> by default.</returns>
    /// <remarks>
    /// May be overridden, for access control. A refused request is passed to <see cref="ShutdownRequest"/>.
    /// An exception thrown here propagates and the request is not closed, as in Python.
    /// </remarks>
    protected virtual bool VerifyRequest(object request, EndPoint? clientAddress) => true;

    /// <summary>Serves a verified request: at once, on a request thread, or in a child process.</summary>
    /// <param name="request">The request.</param>
    /// <param name="clientAddress">The client's address.</param>
    /// <remarks>
    /// May be overridden. The synchronous servers call <see cref="FinishRequest"/> then
    /// <see cref="ShutdownRequest"/>; the threading servers do both on a request thread of its own.
    /// </remarks>
    protected virtual void ProcessRequest(object request, EndPoint? clientAddress) =>
        ActiveDispatcher.ProcessRequest(this, request, clientAddress);

    /// <summary>Serves a request by creating a handler with <see cref="CreateRequestHandler"/> and running it.</summary>
    /// <param name="request">The request.</param>
    /// <param name="clientAddress">The client's address.</param>
    /// <remarks>May be overridden.</remarks>
    protected virtual void FinishRequest(object request, EndPoint? clientAddress)
    {
        // A dispatcher that had to build the handler to know where the request runs (the async path) offers it here.
        BaseRequestHandler handler = Pipeline.Handoffs.Find(request)?.Handler ?? CreateHandlerFor(request, clientAddress);
        handler.Serve(request, clientAddress, this);
    }

    /// <summary>
    /// Creates the handler for one request; by default it calls <see cref="RequestHandlerFactory"/>. Python creates the
    /// handler in <c>finish_request</c> with the request in hand; this hook keeps that: it knows which request the
    /// handler is for.
    /// </summary>
    /// <param name="request">The request the handler will serve.</param>
    /// <param name="clientAddress">The client's address.</param>
    /// <returns>A new handler, which serves this request only.</returns>
    /// <remarks>
    /// <para>May be overridden, to give each request resources of its own, such as a dependency-injection scope:
    /// <see cref="ShutdownRequest"/> is called for every request whose handler was created, once the handler has
    /// finished (an async handler's task has completed), so an override of it can release them. The one exception is a
    /// stop: when <see cref="ServeAsync"/> stops (or a drain aborts what is left), the connections still open are ended
    /// at once, and an async handler may still be returning from its last await.</para>
    /// <para>It runs once per request, where the mode decides where the request runs: in <see cref="FinishRequest"/>
    /// (synchronous, threading and forking servers), or under <see cref="ServeAsync"/> before it, on the thread that
    /// received the request (an event loop, which it must not block). An exception from it is a failure of the request:
    /// it goes to <see cref="HandleError"/>, then the request is ended.</para>
    /// </remarks>
    protected virtual BaseRequestHandler CreateRequestHandler(object request, EndPoint? clientAddress) => RequestHandlerFactory();

    /// <summary>Ends a request: stream servers shut down the connection's sending side, then close it.</summary>
    /// <param name="request">The request.</param>
    /// <remarks>May be overridden. Called exactly once per request, whatever happened to it.</remarks>
    protected virtual void ShutdownRequest(object request) => CloseRequest(request);

    /// <summary>Releases a request's resources: stream servers close the connection.</summary>
    /// <param name="request">The request.</param>
    /// <remarks>May be overridden.</remarks>
    protected virtual void CloseRequest(object request)
    {
    }

    /// <summary>
    /// Handles an exception thrown while processing a request; the server then goes on serving. By default it
    /// prints Python's report to standard error, or logs an Error event with the exception when
    /// <see cref="LoggerFactory"/> is set. What is the client's doing rather than a fault of the server's (a failed TLS
    /// handshake, a reset, a line over a read helper's limit, a reply to an unnamed Unix datagram client) is logged as
    /// one line without a stack trace instead.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="clientAddress">The client's address.</param>
    /// <param name="exception">
    /// What was thrown. Python passes nothing and reads the exception being handled; .NET has no such thing.
    /// </param>
    /// <remarks>May be overridden. An exception thrown from here propagates.</remarks>
    protected virtual void HandleError(object request, EndPoint? clientAddress, Exception exception)
    {
        // Every exception still reaches this hook, as in Python; only the default report tells the client's faults apart.
        if (!Diagnostics.ReportClientFault(clientAddress, exception))
        {
            Diagnostics.RequestFailed(clientAddress, exception);
        }
    }

    /// <summary>Called when <see cref="HandleRequest"/> times out; does nothing by default.</summary>
    /// <remarks>May be overridden. Forking servers collect their finished children here.</remarks>
    protected virtual void HandleTimeout() => _dispatcher.HandleTimeout(this);

    /// <summary>Called once per iteration of <see cref="ServeForever()"/>; does nothing by default.</summary>
    /// <remarks>May be overridden. Not called by <see cref="HandleRequest"/>.</remarks>
    protected virtual void ServiceActions() => _dispatcher.ServiceActions(this);

    /// <summary>
    /// Called with an exception that escaped a request thread (for example a <see cref="ServerExitException"/>,
    /// or one thrown by <see cref="HandleError"/>); Python hands these to <c>threading.excepthook</c>.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="clientAddress">The client's address.</param>
    /// <param name="exception">What escaped.</param>
    /// <remarks>
    /// May be overridden. By default a <see cref="ServerExitException"/> is ignored and anything else is logged
    /// (Error, with the whole exception): to <see cref="LoggerFactory"/>, or else to standard error. Nothing escapes a
    /// request thread, so the process never crashes from one.
    /// </remarks>
    protected virtual void HandleThreadException(object request, EndPoint? clientAddress, Exception exception)
    {
        if (exception is not ServerExitException)
        {
            Diagnostics.ThreadException(clientAddress, exception);
        }
    }

    /// <summary>Closes the server with <see cref="ServerClose"/>; it does not call <see cref="Shutdown"/>.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Calls <see cref="ServerClose"/> when <paramref name="disposing"/> is true.</summary>
    /// <param name="disposing">Whether the call comes from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            ServerClose();
        }
    }

    // The request pipeline and the dispatchers run on other threads but must call the protected hooks, as Python's
    // mix-ins do.
    internal bool InvokeVerifyRequest(object request, EndPoint? clientAddress) => VerifyRequest(request, clientAddress);

    internal void InvokeProcessRequest(object request, EndPoint? clientAddress) => ProcessRequest(request, clientAddress);

    internal void InvokeFinishRequest(object request, EndPoint? clientAddress) => FinishRequest(request, clientAddress);

    /// <summary><see cref="CreateRequestHandler"/>, which must not return null.</summary>
    internal BaseRequestHandler CreateHandlerFor(object request, EndPoint? clientAddress) =>
        CreateRequestHandler(request, clientAddress)
            ?? throw new InvalidOperationException("The request handler factory returned null.");

    internal void InvokeShutdownRequest(object request) => EndRequest(request);

    /// <summary>
    /// Whether a hook given the request is overridden outside the library: then every request is what Python's would
    /// be (a <see cref="System.Net.Sockets.Socket"/>), never an <see cref="AcceptedSocket"/> built lazily.
    /// </summary>
    internal bool RequestHooksOverridden => RequestHooks.AreOverridden(GetType());

    internal void InvokeCloseRequest(object request)
    {
        try
        {
            CloseRequest(request);
        }
        finally
        {
            _connections?.Release(request);
        }
    }

    internal void SetServerAddress(EndPoint serverAddress) => ServerAddress = serverAddress;

    internal void InvokeHandleError(object request, EndPoint? clientAddress, Exception exception) =>
        HandleError(request, clientAddress, exception);

    internal void InvokeHandleThreadException(object request, EndPoint? clientAddress, Exception exception) =>
        HandleThreadException(request, clientAddress, exception);
}
