using System.Net.Sockets;
using SocketServer.Internal;

namespace SocketServer.Cli;

/// <summary>A bound server and the thread running its <see cref="BaseServer.ServeForever()"/>.</summary>
internal sealed class Listener
{
    private readonly Thread _thread;

    private readonly bool _serveAsync;

    private Listener(BaseServer server, bool serveAsync)
    {
        Server = server;
        _serveAsync = serveAsync;
        Address = EndPointFormatter.Format(server.ServerAddress, server.Socket.SocketType);
        _thread = new Thread(Serve) { IsBackground = true, Name = "serve " + Address };
    }

    /// <summary>Raised on the serving thread when <see cref="BaseServer.ServeForever()"/> throws.</summary>
    public event Action<Listener, Exception>? Failed;

    /// <summary>The bound server.</summary>
    public BaseServer Server { get; }

    /// <summary>The real bound address as a URI, for example <c>tcp://127.0.0.1:43123</c>.</summary>
    public string Address { get; }

    /// <summary>Creates and binds the server for <paramref name="spec"/>.</summary>
    /// <param name="spec">The listener to bind.</param>
    /// <param name="protocol">The protocol to serve.</param>
    /// <param name="mode">Synchronous or threading.</param>
    /// <returns>The bound listener, not yet serving.</returns>
    /// <exception cref="SocketException">The address could not be bound; a <see cref="ServerBindException"/> names it.</exception>
    public static Listener Bind(ListenerSpec spec, ServeProtocol protocol, ServeMode mode) =>
        new(ServerFactory.Create(spec, protocol, mode), serveAsync: mode == ServeMode.Async);

    /// <summary>Starts serving on a background thread of its own.</summary>
    public void Start() => _thread.Start();

    /// <summary>Closes the server; a Unix listener's socket file goes with it (see <see cref="ServerFactory"/>).</summary>
    public void Close() => Server.ServerClose();

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
