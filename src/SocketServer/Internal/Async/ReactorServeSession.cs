using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SocketServer.Internal.Limits;
using SocketServer.Internal.Reactor;

namespace SocketServer.Internal.Async;

/// <summary>
/// One run of <see cref="BaseServer.ServeAsync"/> on the reactor: the event loops, the listening socket registered
/// on the first loop, the live connections of each loop, and the stop sequence. The request path is the server's:
/// accept (here, <c>accept4</c>, non-blocking) → <c>VerifyRequest</c> → <c>ProcessRequest</c> (the
/// <see cref="AsyncDispatcher"/>) → <c>FinishRequest</c> (the handler) → <c>ShutdownRequest</c> → <c>CloseRequest</c>.
/// </summary>
internal sealed class ReactorServeSession : IServeSession, IReactorHandler, IAsyncDatagramHost, IDisposable
{
    private readonly BaseServer _server;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HashSet<ServerStreamConnection>[] _connections;
    private readonly PortableConnections _tlsConnections;
    private readonly ReactorGroup _group;
    private readonly int _listenerFd;
    private readonly bool _datagram;
    private readonly int _maxPacketSize;
    private long _listenerRegistration;
    private CancellationTokenRegistration _cancellation;
    private Exception? _exitException;
    private int _stopping;
    private volatile bool _acceptStopped;
    private bool _pausedAtLimit;

    /// <summary>Starts the loops (one per usable CPU unless <paramref name="loopCount"/> says otherwise).</summary>
    public ReactorServeSession(BaseServer server, int loopCount)
    {
        _server = server;
        Dispatcher = new AsyncDispatcher(this);
        _tlsConnections = new PortableConnections(server, ReportHandlerFailure);
        _group = new ReactorGroup(loopCount, "socketserver-loop", ReportLoopException);
        _connections = new HashSet<ServerStreamConnection>[_group.Loops.Count];
        for (int i = 0; i < _connections.Length; i++)
        {
            _connections[i] = [];
        }

        _listenerFd = (int)server.Socket.Handle;
        _datagram = server.Socket.SocketType == SocketType.Dgram;
        _maxPacketSize = Math.Min(server is UdpServer udp ? udp.MaxPacketSize : 8192, EventLoop.ReadBufferSize);
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
        foreach (EventLoop loop in _group.Loops)
        {
            if (loop.IsOnLoopThread)
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc/>
    public unsafe void OnEvents(uint events)
    {
        if (_datagram)
        {
            ReceiveAvailable();
            return;
        }

        // Edge-triggered: accept until the queue is empty. At the connection cap, or draining, the rest waits in the
        // backlog with no new edge; ResumeAccepting posts an accept when a slot frees.
        while (Volatile.Read(ref _stopping) == 0 && !_acceptStopped && !_server.AsyncAtCapacity(ref _pausedAtLimit))
        {
            int fd = ReactorNative.Accept4(_listenerFd, null, null, ReactorNative.SockNonblock | ReactorNative.SockCloexec);
            if (fd < 0)
            {
                int errno = Marshal.GetLastSystemError();
                if (errno is ReactorNative.EIntr or ReactorNative.EConnAborted)
                {
                    continue;
                }

                if (errno is ReactorNative.EMFile or ReactorNative.ENFile or ReactorNative.ENoBufs or ReactorNative.ENoMem)
                {
                    // Out of descriptors: the queue stays full and no new edge comes, so retry after a pause.
                    _server.DiagnosticsWriter.WriteLine($"accept failed on {_server.ServerAddress}: {Marshal.GetPInvokeErrorMessage(errno)}; retrying in 100 ms");
                    _ = RetryAcceptAsync();
                }

                return;
            }

            Accepted(fd);
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

    /// <summary>
    /// Receives the datagrams waiting on a datagram server's socket (edge-triggered: until EAGAIN, or a batch of 256,
    /// after which the rest is taken after the loop's other work) and runs each through the server's hooks.
    /// </summary>
    private unsafe void ReceiveAvailable()
    {
        EventLoop loop = _group.Loops[0];
        AddressFamily family = _server.Socket.AddressFamily;
        int addressCapacity = SocketAddress.GetMaximumAddressSize(family);
        for (int received = 0; Volatile.Read(ref _stopping) == 0; received++)
        {
            if (received == 256)
            {
                loop.Post(new AcceptWork(this));
                return;
            }

            var address = new SocketAddress(family, addressCapacity);
            nint length;
            uint addressLength = (uint)addressCapacity;
            fixed (byte* addressBytes = address.Buffer.Span)
            {
                length = ReactorNative.RecvFrom(_listenerFd, loop.ReadBuffer, (nuint)_maxPacketSize, ReactorNative.MsgDontWait, addressBytes, &addressLength);
            }

            if (length < 0)
            {
                int errno = Marshal.GetLastSystemError();
                if (errno == ReactorNative.EAgain || errno == ReactorNative.EBadF)
                {
                    return;
                }

                // EINTR, or an ICMP error reported on the socket (ECONNREFUSED...): as a failed GetRequest, no request.
                continue;
            }

            address.Size = (int)addressLength;
            byte[] packet = new ReadOnlySpan<byte>(loop.ReadBuffer, (int)length).ToArray();
            EndPoint clientAddress = _server.ServerAddress.Create(address);
            var request = new DatagramRequest(packet, _server.Socket);
            try
            {
                if (_server.InvokeVerifyRequest(request, clientAddress))
                {
                    _server.InvokeProcessRequest(request, clientAddress);
                }
                else
                {
                    _server.InvokeShutdownRequest(request);
                }
            }
            catch (ServerExitException e)
            {
                Exit(e);
            }
            catch (Exception e)
            {
                ReportHandlerFailure(request, clientAddress, e);
                _server.InvokeShutdownRequest(request);
            }
        }
    }

    /// <summary>Runs an accepted connection through the server's hooks, as <c>HandleRequestNoBlock</c> does.</summary>
    private void Accepted(int fd)
    {
        Socket connection;
        EndPoint? clientAddress;
        try
        {
            connection = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
            clientAddress = connection.RemoteEndPoint;
        }
        catch (Exception e) when (SocketErrors.IsSocketLevel(e))
        {
            // The peer is already gone (ENOTCONN): as a failed accept, no request.
            ReactorNative.Close(fd);
            return;
        }

        try
        {
            if (!_server.InvokeAdmitConnection(connection, clientAddress))
            {
                return;
            }

            if (!_server.InvokeVerifyRequest(connection, clientAddress))
            {
                ShutdownRequest(connection);
                return;
            }

            _server.InvokeProcessRequest(connection, clientAddress);
        }
        catch (ServerExitException e)
        {
            ShutdownRequest(connection);
            Exit(e);
        }
        catch (Exception e)
        {
            ReportHandlerFailure(connection, clientAddress, e);
            ShutdownRequest(connection);
        }
    }

    /// <summary>The limits state of an admitted connection, or null.</summary>
    public ConnectionState? FindLimits(Socket connection) => _server.FindConnection(connection);

    /// <summary>Starts an async handler on its connection's loop (that loop's thread).</summary>
    public void StartConnection(ServerStreamConnection connection, BaseRequestHandler handler, EndPoint? clientAddress)
    {
        if (Volatile.Read(ref _stopping) != 0)
        {
            ShutdownRequest(connection.Socket);
            return;
        }

        _connections[LoopIndex(connection.Loop)].Add(connection);
        connection.Start();
        AmbientRequest.Prepare(handler);
        AmbientRequest.Connection = connection;
        Exception? failure = null;
        try
        {
            _server.InvokeFinishRequest(connection.Socket, clientAddress);
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            AmbientRequest.Prepare(null);
        }

        // Still there: no async handler attached (FinishRequest threw, or an override served the request itself).
        if (AmbientRequest.Connection is not null)
        {
            AmbientRequest.Connection = null;
            connection.HandlerCompleted(failure);
        }
        else if (failure is not null)
        {
            ReportHandlerFailure(connection.Socket, clientAddress, failure);
        }
    }

    /// <summary>Reports a handler's failure with <c>HandleError</c>; a <see cref="ServerExitException"/> stops serving.</summary>
    public void ReportHandlerFailure(object request, EndPoint? clientAddress, Exception exception) =>
        HandlerFailures.Report(_server, request, clientAddress, exception, Exit);

    /// <summary>A connection is done: the server shuts it down and closes it. Loop thread.</summary>
    public void ConnectionClosed(ServerStreamConnection connection)
    {
        _connections[LoopIndex(connection.Loop)].Remove(connection);
        ShutdownRequest(connection.Socket);
    }

    /// <summary>
    /// A connection left its loop for good (STARTTLS moved its socket to <see cref="TlsConnections"/>, which now owns
    /// it): forgotten here, not closed. Loop thread.
    /// </summary>
    public void ConnectionMoved(ServerStreamConnection connection) => _connections[LoopIndex(connection.Loop)].Remove(connection);

    /// <summary>True once serving stops: no connection moves off a loop any more.</summary>
    public bool IsStopping => Volatile.Read(ref _stopping) != 0;

    private void ShutdownRequest(Socket connection)
    {
        try
        {
            _server.InvokeShutdownRequest(connection);
        }
        catch (Exception e)
        {
            ReportHandlerFailure(connection, null, e);
        }
    }

    private void Exit(ServerExitException exception)
    {
        Interlocked.CompareExchange(ref _exitException, exception, null);
        RequestStop();
    }

    private int LoopIndex(EventLoop loop)
    {
        IReadOnlyList<EventLoop> loops = _group.Loops;
        for (int i = 0; i < loops.Count; i++)
        {
            if (ReferenceEquals(loops[i], loop))
            {
                return i;
            }
        }

        throw new InvalidOperationException("The connection's loop is not one of this server's.");
    }

    private async Task RetryAcceptAsync()
    {
        await Task.Delay(100).ConfigureAwait(false);
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
            if (!_server.IsClosed)
            {
                try
                {
                    _server.Socket.Blocking = true;
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }
        catch (Exception e)
        {
            ReportLoopException(e);
        }
        finally
        {
            _server.EndAsyncSession(this);
            if (_exitException is { } exit)
            {
                _completion.TrySetException(exit);
            }
            else
            {
                _completion.TrySetResult();
            }
        }
    }

    private void StopLoop(int index)
    {
        if (index == 0 && !_server.IsClosed)
        {
            // While the server is open the descriptor is ours; after ServerClose its close already removed it.
            _group.Loops[0].Unregister(_listenerRegistration, _listenerFd);
        }

        foreach (ServerStreamConnection connection in _connections[index].ToArray())
        {
            connection.Stop();
        }
    }

    /// <summary>The live connections of loop <paramref name="index"/>; read on that loop's thread only.</summary>
    internal IReadOnlyCollection<ServerStreamConnection> ConnectionsOf(int index) => _connections[index];

    /// <summary>Stops the loops (as the stop sequence does); for a session that failed to start.</summary>
    public void Dispose() => _group.Dispose();

    private void ReportLoopException(Exception e) => ErrorReport.WriteThreadException(Console.Error, null, e);

    private sealed class AcceptWork(ReactorServeSession session) : IReactorWork
    {
        public void Execute() => session.OnEvents(ReactorNative.EpollIn);
    }

    private sealed class StopLoopWork(ReactorServeSession session, int index, CountdownEvent done) : IReactorWork
    {
        public void Execute()
        {
            try
            {
                session.StopLoop(index);
            }
            finally
            {
                done.Signal();
            }
        }
    }
}
