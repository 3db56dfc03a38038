using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Async;
using SocketServer.Internal.Dispatch;
using SocketServer.Internal.Proxy;
using SocketServer.Internal.Reactor;
using SocketServer.Internal.Requests;

namespace SocketServer.Internal.IoUring;

/// <summary>
/// One run of <see cref="BaseServer.ServeAsync"/> on io_uring: the loops (as many as the epoll reactor would start),
/// a multishot accept on the first loop, the live connections of each loop, and the stop sequence. A transport
/// only, like <see cref="ReactorServeSession"/>: each accepted connection goes to the server's request pipeline
/// (<see cref="RequestPipeline"/>), whose <c>ProcessRequest</c> is the <see cref="AsyncDispatcher"/> while it runs.
/// Stream servers only: a datagram server asked to use io_uring is served by the epoll reactor.
/// </summary>
internal sealed class IoUringServeSession : IServeSession, IStreamConnectionSession, IIoUringHandler, IProxyHeaderTransport
{
    private const byte AcceptKind = 8;

    private readonly BaseServer _server;
    private readonly ServeRun _run;
    private readonly RequestPipeline _pipeline;
    private readonly Action<ServerExitException> _exit;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly LoopConnections _connections;
    private readonly PortableConnections _tlsConnections;
    private readonly IoUringLoop[] _loops;
    private readonly int _listenerFd;
    private readonly AcceptedRequests _accepted;
    private readonly Queue<int> _held = new();
    private readonly HashSet<IoUringProxyHeaderReader> _proxyReads = [];
    private long _listenerRegistration;
    private bool _acceptArmed;
    private bool _acceptCancelling;
    private bool _acceptBackingOff;
    private CancellationTokenRegistration _cancellation;
    private Exception? _exitException;
    private int _stopping;
    private volatile bool _acceptStopped;
    private bool _pausedAtLimit;

    /// <summary>Starts the loops (one per usable CPU unless <paramref name="loopCount"/> says otherwise); throws when a ring cannot be created.</summary>
    public IoUringServeSession(BaseServer server, ServeRun run, int loopCount)
    {
        _server = server;
        _run = run;
        _pipeline = server.Pipeline;
        _accepted = new AcceptedRequests(server);
        _exit = Stop;
        Dispatcher = new AsyncDispatcher(this);
        _tlsConnections = new PortableConnections(server, ReportHandlerFailure);
        int count = loopCount == 0 ? Environment.ProcessorCount : loopCount;
        _loops = new IoUringLoop[count];
        _connections = new LoopConnections(_loops, this, server);
        try
        {
            for (int i = 0; i < count; i++)
            {
                _loops[i] = new IoUringLoop($"socketserver-uring-{i}") { UnhandledException = server.Diagnostics.EventLoopFailed };
                _loops[i].Start();
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        _listenerFd = (int)server.Socket.Handle;
    }

    /// <inheritdoc/>
    public RequestDispatcher Dispatcher { get; }

    /// <summary>The TLS connections of async handlers, served off the loops (as on the epoll reactor).</summary>
    public PortableConnections TlsConnections => _tlsConnections;

    /// <summary>The loops.</summary>
    public IReadOnlyList<IoUringLoop> Loops => _loops;

    /// <inheritdoc/>
    public Task Completion => _completion.Task;

    /// <summary>True once serving stops: no connection moves off a loop any more.</summary>
    public bool IsStopping => Volatile.Read(ref _stopping) != 0;

    /// <inheritdoc/>
    public void Start(CancellationToken cancellationToken)
    {
        _server.Socket.Blocking = false;
        _loops[0].Post(new LoopWork(this, static session => session.StartAccepting()));
        _cancellation = cancellationToken.Register(static state => ((IoUringServeSession)state!).RequestStop(), this);
    }

    /// <inheritdoc/>
    public void RequestStop()
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static session => session.StopCore(), this, preferLocal: false);
        }
    }

    /// <inheritdoc/>
    public bool IsOnLoopThread()
    {
        foreach (IoUringLoop loop in _loops)
        {
            if (loop.IsOnLoopThread)
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc/>
    public void StopAccepting()
    {
        _acceptStopped = true;
        _loops[0].Post(new LoopWork(this, static session => session.CancelAccept()));
    }

    /// <inheritdoc/>
    public void ResumeAccepting()
    {
        if (Volatile.Read(ref _stopping) == 0 && !_acceptStopped)
        {
            _loops[0].Post(new LoopWork(this, static session => session.AdmitHeldAndArm()));
        }
    }

    /// <inheritdoc/>
    public void HandlerFailed(object request, EndPoint? clientAddress, Exception exception) =>
        ReportHandlerFailure(request, clientAddress, exception);

    /// <inheritdoc/>
    public void HandlerEnded(object request, EndPoint? clientAddress) => _pipeline.EndQuietly(request, clientAddress);

    /// <inheritdoc/>
    public unsafe void OnCompletion(byte kind, int result, uint flags, byte* buffer)
    {
        if ((flags & IoUringNative.CqeMore) == 0)
        {
            _acceptArmed = false;
            _acceptCancelling = false;
        }

        if (result >= 0)
        {
            OnAccepted(result);
        }
        else if (result != -IoUringNative.ECanceled && result != -IoUringNative.EConnAborted && result != -IoUringNative.EIntr)
        {
            if (_pipeline.AcceptFailed(ReactorErrors.Exception("accept", -result)) is { } pause)
            {
                // Out of descriptors: pause (the multishot accept may still be armed; it is cancelled and armed again after).
                _acceptBackingOff = true;
                CancelAccept();
                _ = RetryAcceptAsync(pause);
            }
        }

        if (!_acceptArmed)
        {
            ArmAcceptIfServing();
        }
    }

    /// <inheritdoc/>
    /// <remarks>Round robin over the loops; with TLS the connection is served off the loops, as on the epoll reactor.</remarks>
    public void StartConnection(BaseRequestHandler handler, object request, EndPoint? clientAddress) =>
        _connections.Start(handler, request, clientAddress);

    /// <inheritdoc/>
    public bool CanServeInline() => IsOnLoopThread();

    /// <inheritdoc/>
    public void PrepareForRequestThread(Socket socket) => SocketBlocking.Set(socket, blocking: true);

    /// <summary>Reports a handler's failure with <c>HandleError</c>; a <see cref="ServerExitException"/> stops serving.</summary>
    public void ReportHandlerFailure(object request, EndPoint? clientAddress, Exception exception) =>
        _pipeline.HandlerCompleted(request, clientAddress, exception, _exit);

    /// <summary>A connection is done: the server shuts it down and closes it. Loop thread.</summary>
    public void ConnectionClosed(ServerStreamConnection connection) => _connections.Closed(connection);

    /// <summary>A connection's socket moved to <see cref="TlsConnections"/> (STARTTLS), which owns it now. Loop thread.</summary>
    public void ConnectionMoved(ServerStreamConnection connection) => _connections.Forget(connection);

    /// <summary>The live connections of loop <paramref name="index"/>; read on that loop's thread only.</summary>
    internal IReadOnlyList<ServerStreamConnection> ConnectionsOf(int index) => _connections.Of(index);

    /// <summary>Stops the loops; for a session that failed to start.</summary>
    public void Dispose()
    {
        foreach (IoUringLoop? loop in _loops)
        {
            loop?.Dispose();
        }
    }

    private void StartAccepting()
    {
        _listenerRegistration = _loops[0].Register(this);
        ArmAcceptIfServing();
    }

    private unsafe void ArmAcceptIfServing()
    {
        if (_acceptArmed || _acceptBackingOff || _acceptStopped || Volatile.Read(ref _stopping) != 0 || _held.Count > 0 || _server.IsClosed
            || _server.AsyncAtCapacity(ref _pausedAtLimit))
        {
            return;
        }

        byte* sqe = _loops[0].Prepare(IoUringNative.OpAccept, _listenerFd, 0, 0, IoUringLoop.UserData(_listenerRegistration, AcceptKind));
        IoUringRing.SetIoPriority(sqe, IoUringNative.AcceptMultishot);
        IoUringRing.SetOperationFlags(sqe, ReactorNative.SockNonblock | ReactorNative.SockCloexec);
        _acceptArmed = true;
    }

    private void CancelAccept()
    {
        if (_acceptArmed && !_acceptCancelling)
        {
            _acceptCancelling = true;
            _loops[0].Cancel(IoUringLoop.UserData(_listenerRegistration, AcceptKind));
        }
    }

    /// <summary>
    /// A connection the kernel accepted. At the connection cap or while draining it is held (the client sees what it
    /// would see in the backlog: connected, not served) and the multishot accept cancelled; held connections are
    /// admitted first when a slot frees.
    /// </summary>
    private void OnAccepted(int fd)
    {
        if (Volatile.Read(ref _stopping) != 0)
        {
            ReactorNative.Close(fd);
            return;
        }

        if (_held.Count > 0 || _acceptStopped || _server.AsyncAtCapacity(ref _pausedAtLimit))
        {
            _held.Enqueue(fd);
            CancelAccept();
            return;
        }

        Accepted(fd);
        if (_server.AsyncAtCapacity(ref _pausedAtLimit))
        {
            CancelAccept();
        }
    }

    private void AdmitHeldAndArm()
    {
        while (_held.Count > 0 && Volatile.Read(ref _stopping) == 0 && !_acceptStopped && !_server.AsyncAtCapacity(ref _pausedAtLimit))
        {
            Accepted(_held.Dequeue());
        }

        ArmAcceptIfServing();
    }

    private void Accepted(int fd)
    {
        if (!_accepted.TryCreate(fd, peerKnown: false, out object connection, out EndPoint? clientAddress))
        {
            return;
        }

        try
        {
            _pipeline.Accept(connection, clientAddress, this);
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
        var reader = new IoUringProxyHeaderReader(this, _loops[0], read);
        reader.Start(_server.TimeProvider);
        _proxyReads.Add(reader);
    }

    /// <summary>A header read on the first loop ended: the request goes on (or is refused) there. Loop thread.</summary>
    public void ProxyHeaderRead(IoUringProxyHeaderReader reader)
    {
        _proxyReads.Remove(reader);
        try
        {
            _pipeline.ProxyHeaderReceived(reader.Read);
        }
        catch (Exception e)
        {
            Stop(e);
        }
    }

    /// <summary>Serving stopped while a header was awaited: the connection is closed unserved. Loop thread.</summary>
    public void ProxyHeaderAbandoned(IoUringProxyHeaderReader reader)
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

    private async Task RetryAcceptAsync(TimeSpan pause)
    {
        await Task.Delay(pause).ConfigureAwait(false);
        _loops[0].Post(new LoopWork(this, static session =>
        {
            session._acceptBackingOff = false;
            session.ArmAcceptIfServing();
        }));
    }

    private void Stop(Exception exception)
    {
        Interlocked.CompareExchange(ref _exitException, exception, null);
        RequestStop();
    }

    private void StopCore()
    {
        try
        {
            _cancellation.Dispose();
            using var done = new CountdownEvent(_loops.Length);
            for (int i = 0; i < _loops.Length; i++)
            {
                _loops[i].Post(new StopLoopWork(this, i, done));
            }

            done.Wait();
            _tlsConnections.StopAsync().GetAwaiter().GetResult();
            Dispose();
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

    /// <summary>
    /// Ends every connection of loop <paramref name="index"/> (and, on the first, the accept and the held
    /// connections); <paramref name="done"/> is signalled once the last one closed, which may take a turn of the
    /// loop (final sends and cancellations complete asynchronously).
    /// </summary>
    private void StopLoop(int index, CountdownEvent done)
    {
        try
        {
            if (index == 0)
            {
                CancelAccept();
                while (_held.TryDequeue(out int fd))
                {
                    ReactorNative.Close(fd);
                }

                foreach (IoUringProxyHeaderReader reader in _proxyReads.ToArray())
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

    private sealed class LoopWork(IoUringServeSession session, Action<IoUringServeSession> action) : IReactorWork
    {
        public void Execute() => action(session);
    }

    private sealed class StopLoopWork(IoUringServeSession session, int index, CountdownEvent done) : IReactorWork
    {
        public void Execute() => session.StopLoop(index, done);
    }
}
