using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Dispatch;
using SocketServer.Internal.Limits;
using SocketServer.Internal.Proxy;
using SocketServer.Internal.Requests;

namespace SocketServer.Internal.Async;

/// <summary>
/// <see cref="BaseServer.ServeAsync"/> where the reactor does not run: .NET's asynchronous accept or receive, and
/// pipes over a <see cref="NetworkStream"/> per connection, through the same hooks as the reactor's session. Simple
/// and portable, not tuned.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The stop source has no timer and may be cancelled at any time (Shutdown after the end), so it is never disposed.")]
internal sealed class PortableServeSession : IServeSession, IProxyHeaderTransport
{
    private readonly BaseServer _server;
    private readonly ServeRun _run;
    private readonly RequestPipeline _pipeline;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _acceptStop = new();
    private readonly SemaphoreSlim _slotFreed = new(0, 1);

    // The first half runs one request at a time, as on the serve loop and the reactor's first loop: header reads end
    // on pool threads while the accept task goes on.
    private readonly Lock _acceptLock = new();
    private bool _pausedAtLimit;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PortableConnections _connections;
    private CancellationTokenRegistration _cancellation;
    private Exception? _exitException;

    /// <summary>Creates the session; <see cref="Start"/> starts serving.</summary>
    public PortableServeSession(BaseServer server, ServeRun run)
    {
        _server = server;
        _run = run;
        _pipeline = server.Pipeline;
        Dispatcher = new AsyncDispatcher(this);
        _connections = new PortableConnections(server, ReportHandlerFailure);
    }

    /// <inheritdoc/>
    public RequestDispatcher Dispatcher { get; }

    /// <inheritdoc/>
    public Task Completion => _completion.Task;

    /// <summary>Starts the accept (or receive) loop and ties the session to <paramref name="cancellationToken"/>.</summary>
    public void Start(CancellationToken cancellationToken)
    {
        _cancellation = cancellationToken.Register(static state => ((PortableServeSession)state!).RequestStop(), this);
        _ = Task.Run(RunAsync, CancellationToken.None);
    }

    /// <inheritdoc/>
    public void RequestStop()
    {
        _stop.Cancel();
    }

    /// <inheritdoc/>
    public bool IsOnLoopThread() => false;

    /// <inheritdoc/>
    public void StopAccepting() => _acceptStop.Cancel();

    /// <inheritdoc/>
    public void ResumeAccepting()
    {
        try
        {
            _slotFreed.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    /// <inheritdoc/>
    public void HandlerFailed(object request, EndPoint? clientAddress, Exception exception) =>
        ReportHandlerFailure(request, clientAddress, exception);

    /// <inheritdoc/>
    public void HandlerEnded(object request, EndPoint? clientAddress) => _pipeline.EndQuietly(request, clientAddress);

    /// <inheritdoc/>
    public void StartConnection(BaseRequestHandler handler, object request, EndPoint? clientAddress) =>
        _connections.Start(handler, request, clientAddress);

    /// <inheritdoc/>
    /// <remarks>The receive loop awaits between datagrams; starting a handler there blocks nobody else.</remarks>
    public bool CanServeInline() => true;

    /// <inheritdoc/>
    /// <remarks>.NET's accepted sockets are blocking already in .NET's view.</remarks>
    public void PrepareForRequestThread(Socket socket)
    {
    }

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    /// <summary>Reports a handler's failure with <c>HandleError</c>; a <see cref="ServerExitException"/> stops serving.</summary>
    public void ReportHandlerFailure(object request, EndPoint? clientAddress, Exception exception) =>
        _pipeline.HandlerCompleted(request, clientAddress, exception, Stop);

    /// <summary>Stops serving because of <paramref name="exception"/>: <see cref="Completion"/> faults with the first one.</summary>
    private void Stop(Exception exception)
    {
        Interlocked.CompareExchange(ref _exitException, exception, null);
        RequestStop();
    }

    private async Task RunAsync()
    {
        try
        {
            if (_server.Socket.SocketType == SocketType.Dgram)
            {
                await ReceiveLoopAsync().ConfigureAwait(false);
            }
            else
            {
                await AcceptLoopAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException || (SocketErrors.IsSocketLevel(e) && (_stop.IsCancellationRequested || _server.IsClosed)))
        {
        }
        finally
        {
            await _connections.StopAsync().ConfigureAwait(false);
            await _cancellation.DisposeAsync().ConfigureAwait(false);
            _server.EndAsyncRun(_run, _completion, _exitException);
        }
    }

    private async Task AcceptLoopAsync()
    {
        using var acceptEnded = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, _acceptStop.Token);
        try
        {
            await AcceptUntilAsync(acceptEnded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_acceptStop.IsCancellationRequested && !_stop.IsCancellationRequested)
        {
        }

        // A drain stopped accepting: serve the open connections until the session stops.
        await Task.Delay(Timeout.InfiniteTimeSpan, _stop.Token).ConfigureAwait(false);
    }

    private async Task AcceptUntilAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested && !_server.IsClosed)
        {
            if (_server.AsyncAtCapacity(ref _pausedAtLimit))
            {
                // At ServerLimits.MaxConnections: the surplus waits in the backlog until a connection ends.
                await _slotFreed.WaitAsync(token).ConfigureAwait(false);
                continue;
            }

            Socket connection;
            try
            {
                connection = await _server.Socket.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (SocketException e) when (!token.IsCancellationRequested && !_server.IsClosed)
            {
                // As a failed GetRequest: no request; out of descriptors, the one accept back-off pauses.
                if (_pipeline.AcceptFailed(e) is { } pause)
                {
                    await Task.Delay(pause, token).ConfigureAwait(false);
                }

                continue;
            }

            EndPoint? clientAddress;
            try
            {
                clientAddress = connection.RemoteEndPoint;
            }
            catch (Exception e) when (SocketErrors.IsSocketLevel(e))
            {
                connection.Dispose();
                continue;
            }

            AcceptRequest(connection, clientAddress);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        Socket socket = _server.Socket;
        int size = _server is UdpServer udp ? udp.MaxPacketSize : 8192;
        byte[] buffer = new byte[size];
        while (!_stop.IsCancellationRequested && !_server.IsClosed)
        {
            var address = new SocketAddress(socket.AddressFamily, SocketAddress.GetMaximumAddressSize(socket.AddressFamily));
            int received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, address, _stop.Token).ConfigureAwait(false);
            }
            catch (SocketException) when (!_stop.IsCancellationRequested && !_server.IsClosed)
            {
                continue;
            }

            _server.Diagnostics.Traffic.DatagramReceived(received);
            byte[] packet = buffer.AsSpan(0, received).ToArray();
            AcceptRequest(new DatagramRequest(packet, socket), _server.ServerAddress.Create(address));
        }
    }

    /// <summary>
    /// The request pipeline's first half: what escapes it (a <see cref="ServerExitException"/>, or an exception from
    /// <c>VerifyRequest</c> or <c>HandleError</c>) stops serving, and <c>ServeAsync</c>'s task faults with it.
    /// </summary>
    private void AcceptRequest(object request, EndPoint? clientAddress)
    {
        try
        {
            lock (_acceptLock)
            {
                _pipeline.Accept(request, clientAddress, this);
            }
        }
        catch (Exception e)
        {
            Stop(e);
        }
    }

    /// <inheritdoc/>
    /// <remarks>On a task of its own under the header's deadline: a slow proxy holds nobody else up.</remarks>
    public void ReceiveProxyHeader(ProxyHeaderRead read) => _ = ReceiveProxyHeaderAsync(read);

    private async Task ReceiveProxyHeaderAsync(ProxyHeaderRead read)
    {
        TimeSpan left = ProxyHeaderReceiver.TimeLeft(read, _server.TimeProvider);
        using var deadline = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero, _server.TimeProvider);
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, _stop.Token);
        Socket socket = read.Socket;
        try
        {
            while (true)
            {
                int peeked = await socket.ReceiveAsync(read.PeekBuffer, SocketFlags.Peek, ended.Token).ConfigureAwait(false);
                if (peeked == 0)
                {
                    read.Taken(0);
                    break;
                }

                int taken = await socket.ReceiveAsync(read.TakeBuffer(read.Peeked(peeked)), SocketFlags.None, ended.Token).ConfigureAwait(false);
                if (read.Taken(taken))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Serving stops: the connection is closed unserved, as the reactor does.
            try
            {
                _server.CloseUnserved(socket);
            }
            catch (Exception e)
            {
                _pipeline.ThreadException(socket, read.ProxyAddress, e);
            }

            return;
        }
        catch (OperationCanceledException)
        {
            read.Fail(ProxyHeaderReceiver.TimedOut(read.Options));
        }
        catch (Exception e) when (SocketErrors.IsSocketLevel(e))
        {
            read.Fail("reading the header failed: " + e.Message);
        }

        try
        {
            lock (_acceptLock)
            {
                _pipeline.ProxyHeaderReceived(read);
            }
        }
        catch (Exception e)
        {
            Stop(e);
        }
    }
}
