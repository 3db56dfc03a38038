using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Async;
using SocketServer.Internal.Requests;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// The live stream connections of a serve session's loops, epoll's or io_uring's: a connection starts on the next
/// loop in turn (TLS ones off the loops), is forgotten when it closes or moves (STARTTLS), and all of a loop's end
/// when the session stops. Each loop's set is touched on that loop's thread only.
/// </summary>
internal sealed class LoopConnections
{
    private readonly IReadOnlyList<IConnectionLoop> _loops;
    private readonly IStreamConnectionSession _session;
    private readonly BaseServer _server;
    private readonly LinkedObjects<ServerStreamConnection>[] _live;
    private readonly CountdownEvent?[] _stopSignals;
    private int _next = -1;

    /// <summary>The connections of <paramref name="session"/>'s <paramref name="loops"/> for <paramref name="server"/>.</summary>
    public LoopConnections(IReadOnlyList<IConnectionLoop> loops, IStreamConnectionSession session, BaseServer server)
    {
        _loops = loops;
        _session = session;
        _server = server;
        _live = new LinkedObjects<ServerStreamConnection>[loops.Count];
        _stopSignals = new CountdownEvent?[loops.Count];
        for (int i = 0; i < _live.Length; i++)
        {
            _live[i] = new LinkedObjects<ServerStreamConnection>();
        }
    }

    /// <summary>
    /// Starts an async handler's connection: round robin over the loops, on the chosen loop's thread. With TLS the
    /// connection is served off the loops (<see cref="IStreamConnectionSession.TlsConnections"/>): the handshake and
    /// the record crypto would stall every other connection of a loop. Any thread.
    /// </summary>
    public void Start(BaseRequestHandler handler, object request, EndPoint? clientAddress)
    {
        if (PortableConnections.TlsOnAccept(_server) is not null)
        {
            Socket socket = AcceptedSocket.SocketOf(request)!;
            // NetworkStream wants Blocking true, but only .NET's view of it: the descriptor must stay non-blocking in the
            // kernel (SocketBlocking.Set would make it blocking), or the async reads .NET attempts inline on a
            // descriptor it believes non-blocking would block a pool thread, deaf to the handshake deadline.
            socket.Blocking = true;
            _session.TlsConnections.Start(handler, request, clientAddress);
            return;
        }

        IConnectionLoop loop = _loops[(int)((uint)Interlocked.Increment(ref _next) % (uint)_loops.Count)];
        var connection = new ServerStreamConnection(_session, loop, request, clientAddress, _server.FindConnection(request));
        if (loop.IsOnLoopThread)
        {
            StartOnLoop(connection, handler, clientAddress);
        }
        else
        {
            loop.Post(new StartWork(this, connection, handler, clientAddress));
        }
    }

    /// <summary>A connection is done: forgotten, and the server shuts it down and closes it. Loop thread.</summary>
    public void Closed(ServerStreamConnection connection)
    {
        Forget(connection);
        _server.Pipeline.EndQuietly(connection.Request, null);
    }

    /// <summary>
    /// A connection left its loop (closed, or moved by STARTTLS to the TLS connections, which own it now): a stopping
    /// loop whose last connection this was says it is done. Loop thread.
    /// </summary>
    public void Forget(ServerStreamConnection connection)
    {
        int index = IndexOf(connection.Loop);
        _live[index].Remove(connection);
        SignalIfStopped(index);
    }

    /// <summary>
    /// Ends every connection of loop <paramref name="index"/>; <paramref name="done"/> is signalled once the last one
    /// closed, which on io_uring may take a turn of the loop (final sends and cancellations complete asynchronously).
    /// That loop's thread.
    /// </summary>
    public void StopAll(int index, CountdownEvent done)
    {
        _stopSignals[index] = done;
        foreach (ServerStreamConnection connection in _live[index].ToList())
        {
            connection.Stop();
        }

        SignalIfStopped(index);
    }

    /// <summary>The live connections of loop <paramref name="index"/>, copied; on that loop's thread only.</summary>
    public IReadOnlyList<ServerStreamConnection> Of(int index) => _live[index].ToList();

    private void StartOnLoop(ServerStreamConnection connection, BaseRequestHandler handler, EndPoint? clientAddress)
    {
        if (_session.IsStopping)
        {
            _server.Pipeline.EndQuietly(connection.Request, clientAddress);
            return;
        }

        _live[IndexOf(connection.Loop)].Add(connection);
        connection.Start();
        _server.Pipeline.StartOnConnection(handler, connection, connection.Request, clientAddress);
    }

    /// <summary>A stopping loop whose last connection is gone says so, once.</summary>
    private void SignalIfStopped(int index)
    {
        if (_live[index].Count == 0 && _stopSignals[index] is { } done)
        {
            _stopSignals[index] = null;
            done.Signal();
        }
    }

    private int IndexOf(IConnectionLoop loop)
    {
        for (int i = 0; i < _loops.Count; i++)
        {
            if (ReferenceEquals(_loops[i], loop))
            {
                return i;
            }
        }

        throw new InvalidOperationException("The connection's loop is not one of this server's.");
    }

    private sealed class StartWork(LoopConnections connections, ServerStreamConnection connection, BaseRequestHandler handler, EndPoint? clientAddress) : IReactorWork
    {
        public void Execute() => connections.StartOnLoop(connection, handler, clientAddress);
    }
}
