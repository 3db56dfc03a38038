using System.Net;
using System.Net.Sockets;
using SocketServer.Internal;
using SocketServer.Internal.Dispatch;
using SocketServer.Internal.Requests;
using SocketServer.Internal.Unix;

namespace SocketServer;

/// <summary>
/// A synchronous stream server: it accepts one connection at a time and serves it in the loop's thread.
/// Python's <c>socketserver.TCPServer</c>, and the base of every stream and datagram server.
/// </summary>
/// <remarks>
/// <para>
/// The constructor creates <see cref="Socket"/> and, unless <c>bindAndActivate</c> is false, calls
/// <see cref="ServerBind"/> and <see cref="ServerActivate"/>; if either throws, it calls
/// <see cref="ServerClose"/> and rethrows, so no socket leaks.
/// </para>
/// <para>
/// Settings read while binding (<see cref="AllowReuseAddress"/>, <see cref="AllowReusePort"/>, <see cref="AllowDualStack"/>,
/// <see cref="RequestQueueSize"/>) are virtual so a derived class can override them: a C# base constructor
/// runs before the derived constructor body, so values assigned there come too late. Or construct with
/// <c>bindAndActivate: false</c>, set them, then call <see cref="ServerBind"/> and <see cref="ServerActivate"/>.
/// </para>
/// </remarks>
public partial class TcpServer : BaseServer
{
    private Socket _socket;
    private UnixSocketBinder? _unixBinder;

    /// <summary>Creates the server and, by default, binds and starts listening.</summary>
    /// <param name="serverAddress">An <see cref="IPEndPoint"/> (IPv4 or IPv6); port 0 picks a free port.</param>
    /// <param name="requestHandlerFactory">Creates one handler per request.</param>
    /// <param name="bindAndActivate">Whether to call <see cref="ServerBind"/> and <see cref="ServerActivate"/> now.</param>
    /// <exception cref="ServerBindException">The address could not be bound.</exception>
    public TcpServer(EndPoint serverAddress, Func<BaseRequestHandler> requestHandlerFactory, bool bindAndActivate = true)
        : this(serverAddress, requestHandlerFactory, bindAndActivate, SynchronousDispatcher.Instance)
    {
    }

    private protected TcpServer(EndPoint serverAddress, Func<BaseRequestHandler> requestHandlerFactory, bool bindAndActivate, RequestDispatcher dispatcher)
        : base(serverAddress, requestHandlerFactory, dispatcher)
    {
        _socket = new Socket(AddressFamily, SocketType, ProtocolType);
        if (bindAndActivate && dispatcher.BindsInThisProcess)
        {
            try
            {
                ServerBind();
                ServerActivate();
            }
            catch
            {
                ServerClose();
                throw;
            }
        }
    }

    /// <summary>The address family; by default that of the address given to the constructor.</summary>
    /// <remarks>May be overridden. Read by the constructor.</remarks>
    public virtual AddressFamily AddressFamily => ServerAddress.AddressFamily;

    /// <summary>The socket type: <see cref="SocketType.Stream"/> here, <see cref="SocketType.Dgram"/> for datagram servers.</summary>
    /// <remarks>May be overridden. Read by the constructor.</remarks>
    public virtual SocketType SocketType => SocketType.Stream;

    /// <summary>The listen backlog; by default the platform's SOMAXCONN, as in Python 3.15.</summary>
    /// <remarks>May be overridden. Read by <see cref="ServerActivate"/>. It bounds the kernel's queue, not concurrency.</remarks>
    public virtual int RequestQueueSize { get; set; } = SocketDefaults.SomaxConn;

    /// <summary>Whether <see cref="ServerBind"/> sets SO_REUSEADDR; <see langword="false"/> by default.</summary>
    /// <remarks>
    /// May be overridden. Read by <see cref="ServerBind"/>. On Linux it never lets two servers listen on one port
    /// (.NET's own ReuseAddress option would: it also sets SO_REUSEPORT, so it is not used).
    /// </remarks>
    public virtual bool AllowReuseAddress { get; set; }

    /// <summary>Whether <see cref="ServerBind"/> sets SO_REUSEPORT, for IPv4 and IPv6 only; <see langword="false"/> by default.</summary>
    /// <remarks>May be overridden. Read by <see cref="ServerBind"/>. Ignored where the platform has no SO_REUSEPORT.</remarks>
    public virtual bool AllowReusePort { get; set; }

    /// <summary>
    /// Whether <see cref="ServerBind"/> makes a socket bound to <see cref="IPAddress.IPv6Any"/> (<c>[::]</c>) accept
    /// IPv4 clients too, by setting <see cref="Socket.DualMode"/>; <see langword="true"/> by default.
    /// </summary>
    /// <remarks>
    /// May be overridden. Read by <see cref="ServerBind"/>; only an IPv6 wildcard address is affected. Python leaves
    /// IPV6_V6ONLY at the system default, which is dual-stack on Linux but IPv6-only on Windows and the BSDs (and
    /// wherever <c>net.ipv6.bindv6only</c> is set): this makes the Linux default explicit everywhere. Where the system
    /// refuses dual-stack, the socket stays IPv6-only and no error is raised. Set it to <see langword="false"/> to
    /// leave the system default alone, as Python does. The risk: a dual-stack server also answers IPv4 clients, whose
    /// addresses it sees as IPv4-mapped IPv6 addresses (<c>::ffff:a.b.c.d</c>).
    /// </remarks>
    public virtual bool AllowDualStack { get; set; } = true;

    /// <inheritdoc/>
    public override Socket Socket => _socket;

    /// <summary>Whether the last <see cref="ServerBind"/> removed a stale socket file first (RecoverStaleSocketFile), for a caller to report.</summary>
    internal bool RemovedStaleSocketFile => _unixBinder?.RemovedStaleFile ?? false;

    private ProtocolType ProtocolType => AddressFamily == AddressFamily.Unix
        ? ProtocolType.Unspecified
        : SocketType == SocketType.Dgram ? ProtocolType.Udp : ProtocolType.Tcp;

    /// <summary>
    /// Sets the reuse and dual-stack options, binds to <see cref="BaseServer.ServerAddress"/>, then reads the real
    /// address back. The Unix servers also apply their socket-file options here.
    /// </summary>
    /// <exception cref="ServerBindException">The address could not be bound.</exception>
    public override void ServerBind()
    {
        if (AllowReuseAddress)
        {
            ReuseOptions.SetReuseAddress(_socket);
        }

        // gh-128916: SO_REUSEPORT only for IP sockets; Linux 6.12.9+ rejects it on Unix sockets.
        if (AllowReusePort && AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
        {
            SetReusePort();
        }

        if (AllowDualStack && ServerAddress is IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } ip && ip.Address.Equals(IPAddress.IPv6Any))
        {
            TryEnableDualMode(_socket);
        }

        // Only the Unix servers declare the socket-file options; a TcpServer given a Unix address keeps the defaults.
        UnixSocketBinder? unixBinder = this is IUnixSocketFileOptions options && _socket.AddressFamily == AddressFamily.Unix
            ? new UnixSocketBinder(options, ServerAddress, SocketType)
            : null;
        unixBinder?.BeforeBind();
        try
        {
            _socket.Bind(ServerAddress);
        }
        catch (SocketException e)
        {
            throw new ServerBindException(ServerAddress, SocketType, e);
        }

        if (_socket.AddressFamily == AddressFamily.Unix)
        {
            _socket = UnixSocketFile.Detach(_socket);
        }

        // Kept before AfterBind, so that a failed chmod or chown still lets ServerClose remove the new file.
        _unixBinder = unixBinder;
        unixBinder?.AfterBind();
        ServerAddress = _socket.LocalEndPoint ?? ServerAddress;
    }

    /// <summary>
    /// Adopts <paramref name="socket"/>, already bound (and, for a stream, usually listening), in place of the socket the
    /// constructor created: a socket passed by systemd (<see cref="SystemdActivation"/>), by a parent process, or bound
    /// by the caller. Python's <c>server.socket = sock</c> after <c>bind_and_activate=False</c>.
    /// </summary>
    /// <param name="socket">
    /// A bound socket of this server's <see cref="SocketType"/>; the server owns it from now on (a Unix socket is
    /// served through a <see cref="Socket"/> of its own over the same descriptor, so that closing it leaves the file).
    /// </param>
    /// <remarks>
    /// <para>
    /// Construct the server with <c>bindAndActivate: false</c> (any address of the right kind: it is replaced by the
    /// socket's own) and call this instead of <see cref="ServerBind"/> and <see cref="ServerActivate"/>. A stream socket
    /// that is not listening yet is made to listen with <see cref="RequestQueueSize"/>; one already listening keeps the
    /// backlog it was given (systemd's <c>Backlog=</c>). <see cref="BaseServer.ServerAddress"/> becomes the socket's
    /// local address. The reuse and dual-stack settings are not applied (they act at bind time), and a Unix socket's
    /// file is not removed on close: it belongs to whoever bound it.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// The socket is not bound, or its type or address family is not this server's (a stream socket given to a datagram
    /// server, a TCP socket to a Unix server).
    /// </exception>
    /// <exception cref="InvalidOperationException">The server already has a bound socket, or is closed.</exception>
    public void AdoptSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ObjectDisposedException.ThrowIf(IsClosed, this);
        if (_socket.IsBound || _unixBinder is not null)
        {
            throw new InvalidOperationException("The server's socket is already bound: construct it with bindAndActivate: false to adopt another.");
        }

        EndPoint local = socket.LocalEndPoint
            ?? throw new ArgumentException("The socket is not bound: bind it (or let systemd bind it) before adopting it.", nameof(socket));
        if (socket.SocketType != SocketType)
        {
            throw new ArgumentException($"The socket is a {socket.SocketType} socket, but this server serves {SocketType} sockets.", nameof(socket));
        }

        EndPoint previous = ServerAddress;
        ServerAddress = local;
        if (socket.AddressFamily != AddressFamily)
        {
            ServerAddress = previous;
            throw new ArgumentException($"The socket's address family is {socket.AddressFamily}, but this server's is {AddressFamily}.", nameof(socket));
        }

        if (SocketType == SocketType.Stream && !ListenSocket.IsListening(socket))
        {
            socket.Listen(RequestQueueSize);
        }

        _socket.Dispose();
        // .NET unlinks a Unix socket's file when a Socket that bound it is disposed: the file is not the server's.
        _socket = socket.AddressFamily == AddressFamily.Unix ? UnixSocketFile.Detach(socket) : socket;
    }

    // Python raises the OSError of setsockopt; here it is a bind failure naming the address, like the others.
    private void SetReusePort()
    {
        try
        {
            ReuseOptions.TrySetReusePort(_socket);
        }
        catch (SocketException e)
        {
            throw new ServerBindException(ServerAddress, SocketType, e.SocketErrorCode, $"the system refused SO_REUSEPORT (AllowReusePort): {e.Message}.");
        }
    }

    private static void TryEnableDualMode(Socket socket)
    {
        try
        {
            socket.DualMode = true;
        }
        catch (Exception e) when (e is SocketException or NotSupportedException)
        {
            // The system allows IPv6-only sockets only (or IPv4 is absent): serve IPv6 alone rather than fail.
        }
    }

    /// <summary>Starts listening with a backlog of <see cref="RequestQueueSize"/>.</summary>
    public override void ServerActivate() => _socket.Listen(RequestQueueSize);

    /// <summary>Closes <see cref="Socket"/>; idempotent. Afterwards <see cref="BaseServer.Fileno"/> returns -1.</summary>
    public override void ServerClose()
    {
        // Mark the server closed before the socket goes: closing it wakes a running ServeForever(), whose next
        // Select() throws ObjectDisposedException, and the loop treats that as the end only once IsClosed is set.
        IsClosed = true;
        _socket.Dispose();
        _unixBinder?.AfterClose();
        base.ServerClose();
    }

    /// <summary>Accepts a connection: the request is the connected <see cref="System.Net.Sockets.Socket"/>.</summary>
    /// <returns>The connection and the client's address (an empty <see cref="UnixDomainSocketEndPoint"/> for an unnamed Unix peer).</returns>
    protected override (object Request, EndPoint? ClientAddress) GetRequest()
    {
        Socket connection = _socket.Accept();
        return (connection, connection.RemoteEndPoint);
    }

    /// <summary>Shuts down the connection's sending side (ignoring errors, as some systems raise ENOTCONN), then closes it.</summary>
    /// <param name="request">The connection.</param>
    protected override void ShutdownRequest(object request)
    {
        // An AcceptedSocket is the library's own form of an accepted connection (under ServeAsync, when no hook is overridden).
        if (request is System.Net.Sockets.Socket or AcceptedSocket)
        {
            try
            {
                // An explicit shutdown sends FIN at once, whoever else still holds the socket.
                AcceptedSocket.Shutdown(request, SocketShutdown.Send);
            }
            catch (Exception e) when (SocketErrors.IsSocketLevel(e))
            {
            }
        }

        CloseRequest(request);
    }

    /// <summary>Closes the connection.</summary>
    /// <param name="request">The connection.</param>
    protected override void CloseRequest(object request)
    {
        if (request is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }
}
