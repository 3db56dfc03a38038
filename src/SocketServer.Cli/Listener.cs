using System.Net.Sockets;
using SocketServer.Internal;

namespace SocketServer.Cli;

/// <summary>A bound server and the thread running its <see cref="BaseServer.ServeForever()"/>.</summary>
internal sealed class Listener
{
    private readonly Thread _thread;

    private readonly bool _serveAsync;

    private Listener(TcpServer server, bool serveAsync)
    {
        Server = server;
        RemovedStaleSocketFile = server.RemovedStaleSocketFile;
        _serveAsync = serveAsync;
        Address = FormatAddress(server);
        _thread = new Thread(Serve) { IsBackground = true, Name = "serve " + Address };
    }

    /// <summary>Raised on the serving thread when <see cref="BaseServer.ServeForever()"/> throws.</summary>
    public event Action<Listener, Exception>? Failed;

    /// <summary>The bound server.</summary>
    public BaseServer Server { get; }

    /// <summary>Whether binding removed a stale socket file at the listener's path first.</summary>
    public bool RemovedStaleSocketFile { get; }

    /// <summary>
    /// The real bound address as a URI, for example <c>tcp://127.0.0.1:43123</c>; with TLS <c>tls://127.0.0.1:43123</c>
    /// or <c>unix+tls:/run/echo.sock</c>.
    /// </summary>
    public string Address { get; }

    /// <summary>Creates and binds the server for <paramref name="spec"/>.</summary>
    /// <param name="spec">The listener to bind.</param>
    /// <param name="protocol">The protocol to serve.</param>
    /// <param name="mode">Synchronous or threading.</param>
    /// <param name="tls">TLS for a stream listener, or <see langword="null"/>; datagram listeners ignore it.</param>
    /// <param name="recoverStaleSocketFile">Whether a Unix listener removes a stale socket file at its path first.</param>
    /// <param name="maxIdleThreads">A threading server's parked request threads (<c>--max-idle-threads</c>); null for the library's default.</param>
    /// <returns>The bound listener, not yet serving.</returns>
    /// <exception cref="SocketException">The address could not be bound; a <see cref="ServerBindException"/> names it.</exception>
    public static Listener Bind(ListenerSpec spec, ServeProtocol protocol, ServeMode mode, TlsOptions? tls = null, bool recoverStaleSocketFile = true, int? maxIdleThreads = null) =>
        new(ServerFactory.Create(spec, protocol, mode, tls, recoverStaleSocketFile, maxIdleThreads), serveAsync: mode == ServeMode.Async);

    /// <summary>Starts serving on a background thread of its own.</summary>
    public void Start() => _thread.Start();

    /// <summary>Closes the server; a Unix listener's socket file goes with it (see <see cref="ServerFactory"/>).</summary>
    public void Close() => Server.ServerClose();

    private static string FormatAddress(BaseServer server)
    {
        string address = EndPointFormatter.Format(server.ServerAddress, server.Socket.SocketType);
        if (server is not TcpServer { Tls: not null })
        {
            return address;
        }

        // tcp://HOST:PORT becomes tls://HOST:PORT, and unix:PATH becomes unix+tls:PATH (docs/cli.md).
        return address.StartsWith("tcp://", StringComparison.Ordinal)
            ? "tls://" + address["tcp://".Length..]
            : "unix+tls:" + address["unix:".Length..];
    }

    private void Serve()
    {
        try
        {
            if (_serveAsync)
            {
                // ServerClose() (SIGINT, SIGTERM) stops ServeAsync as it stops ServeForever.
                Server.ServeAsync().GetAwaiter().GetResult();
            }
            else
            {
                Server.ServeForever();
            }
        }
        catch (Exception e)
        {
            Failed?.Invoke(this, e);
        }
    }
}
