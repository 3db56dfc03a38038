using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SocketServer.Internal.Async;
using SocketServer.Internal.Dispatch;
using SocketServer.Internal.Proxy;
using SocketServer.Internal.Requests;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// One run of <see cref="BaseServer.ServeAsync"/> on the reactor: the event loops, the listening socket registered
/// on the first loop, the live connections of each loop, and the stop sequence. A transport only: each accepted
/// connection (<c>accept4</c>, non-blocking) and each datagram goes to the server's request pipeline
/// (<see cref="RequestPipeline"/>), whose <c>ProcessRequest</c> is the <see cref="AsyncDispatcher"/> while it runs.
/// </summary>
internal sealed class ReactorServeSession : IServeSession, IStreamConnectionSession, IReactorHandler, IProxyHeaderTransport
{
    private readonly BaseServer _server;
    private readonly ServeRun _run;
    private readonly RequestPipeline _pipeline;
    private readonly Action<ServerExitException> _exit;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly LoopConnections _connections;
    private readonly HashSet<ReactorProxyHeaderReader> _proxyReads = [];
    private readonly PortableConnections _tlsConnections;
    private readonly ReactorGroup _group;
    private readonly int _listenerFd;
    private readonly bool _datagram;
    private readonly ReactorDatagramPort? _datagramPort;
    private readonly AcceptedRequests _accepted;
    private long _listenerRegistration;
    private CancellationTokenRegistration _cancellation;
    private Exception? _exitException;
    private int _stopping;
    private volatile bool _acceptStopped;
    private bool _pausedAtLimit;

    /// <summary>Starts the loops (one per usable CPU unless <paramref name="loopCount"/> says otherwise).</summary>
    public ReactorServeSession(BaseServer server, ServeRun run, int loopCount)
    {
        _server = server;
        _run = run;
        _pipeline = server.Pipeline;
        _exit = Stop;
        Dispatcher = new AsyncDispatcher(this);
        _tlsConnections = new PortableConnections(server, ReportHandlerFailure);
        _group = new ReactorGroup(loopCount, "socketserver-loop", server.Diagnostics.EventLoopFailed);
        _connections = new LoopConnections(_group.Loops, this, server);

        _accepted = new AcceptedRequests(server);
        _listenerFd = (int)server.Socket.Handle;
        _datagram = server.Socket.SocketType == SocketType.Dgram;
        if (_datagram)
        {
            int packetSize = Math.Clamp(server is UdpServer udp ? udp.MaxPacketSize : 8192, 0, EventLoop.ReadBufferSize);
            _datagramPort = new ReactorDatagramPort(this, server, _group.Loops[0], _listenerFd, packetSize);
        }
    }

    /// <inheritdoc/>
    public RequestDispatcher Dispatcher { get; }

    /// <summary>
    /// The TLS connections of async handlers: served off the loops, over an <see cref="System.Net.Security.SslStream"/>
    /// (the handshake and the encryption would stall every other connection of a loop).
    /// </summary>
    public PortableConnections TlsConnections => _tlsConnections;

    /// <summary>The loops.</summary>
    public ReactorGroup Group => _group;

    /// <summary>Completes when serving stopped and every connection was closed.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Registers the listening socket and ties the session to <paramref name="cancellationToken"/>.</summary>
    public void Start(CancellationToken cancellationToken)
    {
        _server.Socket.Blocking = false;
        _listenerRegistration = _group.Loops[0].Register(_listenerFd, ReactorNative.EpollIn, this);
        _cancellation = cancellationToken.Register(static state => ((ReactorServeSession)state!).RequestStop(), this);
    }

    /// <summary>Stops serving (idempotent, any thread): <see cref="Completion"/> completes once everything is closed.</summary>
    public void RequestStop()
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 0)
        {
            // Not on a loop: stopping waits for the loops' threads.
            ThreadPool.UnsafeQueueUserWorkItem(static session => session.StopCore(), this, preferLocal: false);
        }
    }

    /// <summary>True on one of this session's loop threads.</summary>
    public bool IsOnLoopThread()
    {
        // An index, not foreach: the list is an interface here, and its enumerator would be allocated per datagram.
        IReadOnlyList<EventLoop> loops = _group.Loops;
        for (int i = 0; i < loops.Count; i++)
        {
            if (loops[i].IsOnLoopThread)
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc/>
    public unsafe void OnEvents(uint events)
    {
        if (_datagramPort is { } port)
        {
            port.ReceiveAvailable();
            return;
        }

        // Edge-triggered: accept until the queue is empty. At the connection cap, or draining, the rest waits in the
        // backlog with no new edge; ResumeAccepting posts an accept when a slot frees.
        while (Volatile.Read(ref _stopping) == 0 && !_acceptStopped && !_server.AsyncAtCapacity(ref _pausedAtLimit))
        {
            int fd = _accepted.Accept(_listenerFd);
            if (fd < 0)
            {
                // The error the call saved (SetLastError), not errno now: Accept ran managed code after the call.
                int errno = Marshal.GetLastPInvokeError();
                if (errno is ReactorNative.EIntr or ReactorNative.EConnAborted)
                {
                    continue;
                }

                if (_pipeline.AcceptFailed(ReactorErrors.Exception("accept4", errno)) is { } pause)
                {
                    // Out of descriptors: the queue stays full and no new edge comes, so retry after the pause.
                    _ = RetryAcceptAsync(pause);
                }

                return;
            }

            if (_accepted.TryCreate(fd, peerKnown: true, out object request, out EndPoint? clientAddress))
            {
                AcceptRequest(request, clientAddress);
            }
        }
    }

    /// <inheritdoc/>
    public void StopAccepting() => _acceptStopped = true;

    /// <inheritdoc/>
    public void ResumeAccepting()
    {
        if (!_datagram && Volatile.Read(ref _stopping) == 0 && !_acceptStopped)
        {
            _group.Loops[0].Post(new AcceptWork(this));
        }
    }

    /// <inheritdoc/>
    public void HandlerFailed(object request, EndPoint? clientAddress, Exception exception) =>
        ReportHandlerFailure(request, clientAddress, exception);

    /// <inheritdoc/>
    public void HandlerEnded(object request, EndPoint? clientAddress) => _pipeline.EndQuietly(request, clientAddress);

    /// <summary>A datagram the port received: the request pipeline's first half, on loop 0.</summary>
    internal void AcceptDatagram(DatagramRequest request, EndPoint clientAddress) => AcceptRequest(request, clientAddress);

    /// <summary>
    /// The request pipeline's first half, on the loop: what escapes it (a <see cref="ServerExitException"/>, or an
    /// exception from <c>VerifyRequest</c> or <c>HandleError</c>) stops serving, and <c>ServeAsync</c>'s task faults
    /// with it, as <c>ServeForever</c> would throw it.
    /// </summary>
    private void AcceptRequest(object request, EndPoint? clientAddress)
    {
        try
        {
            _pipeline.Accept(request, clientAddress, this);
        }
        catch (Exception e)
        {
            Stop(e);
        }
    }

    /// <inheritdoc/>
    /// <remarks>On the first loop, where the request was accepted; a slow proxy holds nobody else up.</remarks>
    public void ReceiveProxyHeader(ProxyHeaderRead read)
    {
        var reader = new ReactorProxyHeaderReader(this, _group.Loops[0], read);
        try
        {
            reader.Start(_server.TimeProvider);
        }
        catch (Exception e) when (SocketErrors.IsSocketLevel(e) || e is IOException)
        {
            read.Fail("reading the header failed: " + e.Message);
            ContinueAccept(read);
            return;
        }

        _proxyReads.Add(reader);
    }

    /// <summary>A header read on the first loop ended: the request goes on (or is refused) there. Loop thread.</summary>
    public void ProxyHeaderRead(ReactorProxyHeaderReader reader)
    {
        _proxyReads.Remove(reader);
        ContinueAccept(reader.Read);
    }

    /// <summary>Serving stopped while a header was awaited: the connection is closed unserved. Loop thread.</summary>
    public void ProxyHeaderAbandoned(ReactorProxyHeaderReader reader)
    {
        _proxyReads.Remove(reader);
        try
        {
            _server.CloseUnserved(reader.Read.Socket);
        }
        catch (Exception e)
        {
            _pipeline.ThreadException(reader.Read.Socket, reader.Read.ProxyAddress, e);
        }
    }

    private void ContinueAccept(ProxyHeaderRead read)
    {
        try
        {
            _pipeline.ProxyHeaderReceived(read);
        }
        catch (Exception e)
        {
            Stop(e);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Round robin over the loops. With TLS the connection is served off the loops (<see cref="TlsConnections"/>):
    /// the handshake and the record crypto would stall every other connection of a loop.
    /// </remarks>
    public void StartConnection(BaseRequestHandler handler, object request, EndPoint? clientAddress) =>
        _connections.Start(handler, request, clientAddress);

    /// <inheritdoc/>
    public bool CanServeInline() => IsOnLoopThread();

    /// <inheritdoc/>
    /// <remarks>Accepted non-blocking for the loops; a synchronous handler reads and writes blocking.</remarks>
    public void PrepareForRequestThread(Socket socket) => SocketBlocking.Set(socket, blocking: true);

    /// <summary>Reports a handler's failure with <c>HandleError</c>; a <see cref="ServerExitException"/> stops serving.</summary>
    public void ReportHandlerFailure(object request, EndPoint? clientAddress, Exception exception) =>
        _pipeline.HandlerCompleted(request, clientAddress, exception, _exit);

    /// <summary>A connection is done: the server shuts it down and closes it. Loop thread.</summary>
    public void ConnectionClosed(ServerStreamConnection connection) => _connections.Closed(connection);

    /// <summary>
    /// A connection left its loop for good (STARTTLS moved its socket to <see cref="TlsConnections"/>, which now owns
    /// it): forgotten here, not closed. Loop thread.
    /// </summary>
    public void ConnectionMoved(ServerStreamConnection connection) => _connections.Forget(connection);

    /// <summary>True once serving stops: no connection moves off a loop any more.</summary>
    public bool IsStopping => Volatile.Read(ref _stopping) != 0;

    /// <summary>Stops serving because of <paramref name="exception"/>: <see cref="Completion"/> faults with the first one.</summary>
    private void Stop(Exception exception)
    {
        Interlocked.CompareExchange(ref _exitException, exception, null);
        RequestStop();
    }

    private async Task RetryAcceptAsync(TimeSpan pause)
    {
        await Task.Delay(pause).ConfigureAwait(false);
        _group.Loops[0].Post(new AcceptWork(this));
    }

    private void StopCore()
    {
        try
        {
            _cancellation.Dispose();
            using var done = new CountdownEvent(_group.Loops.Count);
            for (int i = 0; i < _group.Loops.Count; i++)
            {
                _group.Loops[i].Post(new StopLoopWork(this, i, done));
            }

            done.Wait();
            // No accept any more: end the TLS connections (off the loops) the same way.
            _tlsConnections.StopAsync().GetAwaiter().GetResult();
            _group.Dispose();
            _datagramPort?.Dispose();
            _server.RestoreBlockingListener();
        }
        catch (Exception e)
        {
            _server.Diagnostics.ServeLoopFailed(e);
        }
        finally
        {
            _server.EndAsyncRun(_run, _completion, _exitException);
        }
    }

    private void StopLoop(int index, CountdownEvent done)
    {
        try
        {
            if (index == 0 && !_server.IsClosed)
            {
                // While the server is open the descriptor is ours; after ServerClose its close already removed it.
                _group.Loops[0].Unregister(_listenerRegistration, _listenerFd);
            }

            if (index == 0)
            {
                foreach (ReactorProxyHeaderReader reader in _proxyReads.ToArray())
                {
                    reader.Abandon();
                }
            }
        }
        finally
        {
            _connections.StopAll(index, done);
        }
    }

    /// <summary>The datagram server's port on loop 0 (null for a stream server); for tests.</summary>
    internal ReactorDatagramPort? DatagramPort => _datagramPort;

    /// <summary>The live connections of loop <paramref name="index"/>; read on that loop's thread only.</summary>
    internal IReadOnlyList<ServerStreamConnection> ConnectionsOf(int index) => _connections.Of(index);

    /// <summary>Stops the loops (as the stop sequence does); for a session that failed to start.</summary>
    public void Dispose()
    {
        _group.Dispose();
        _datagramPort?.Dispose();
    }

    private sealed class AcceptWork(ReactorServeSession session) : IReactorWork
    {
        public void Execute() => session.OnEvents(ReactorNative.EpollIn);
    }

    private sealed class StopLoopWork(ReactorServeSession session, int index, CountdownEvent done) : IReactorWork
    {
        public void Execute() => session.StopLoop(index, done);
    }
}
