using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using SocketServer.Internal.Async;
using SocketServer.Internal.Dispatch;
using SocketServer.Internal.Limits;
using SocketServer.Internal.Requests;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// An accepted connection served by an <see cref="AsyncStreamRequestHandler"/> on a loop, epoll's or io_uring's. When the handler
/// completed (its exception reported by <see cref="BaseServer.HandleError"/>) and its output was sent, the server's
/// <c>ShutdownRequest</c> shuts the socket down and closes it, as after a synchronous handler. STARTTLS moves the
/// socket off the loop to a <see cref="PortableConnection"/> (see <see cref="PrepareStartTlsAsync"/>), which then
/// owns the request and closes it instead.
/// </summary>
internal sealed class ServerStreamConnection : DuplexConnection, IAsyncConnection, ILinkedObject<ServerStreamConnection>
{
    private readonly IStreamConnectionSession _session;
    private readonly object _request;
    private readonly EndPoint? _clientAddress;
    private Exception? _handlerFailure;
    private bool _handlerDone;
    private bool _closed;
    private bool _closeWhenFinished;
    private ReactorTlsHandoff? _handoff;
    private ReactorTlsHandoff? _handoffAwaitingReceive;

    /// <inheritdoc/>
    /// <remarks>In its loop's live connections (<see cref="LoopConnections"/>); that loop's thread.</remarks>
    public ServerStreamConnection? NextLinked { get; set; }

    /// <inheritdoc/>
    public ServerStreamConnection? PreviousLinked { get; set; }

    /// <inheritdoc/>
    public bool IsLinked { get; set; }

    /// <summary>
    /// Creates the connection for an accepted, non-blocking socket on <paramref name="loop"/> (epoll or io_uring):
    /// <paramref name="request"/> is a <see cref="Socket"/>, or an <see cref="AcceptedSocket"/> whose socket nobody built
    /// yet; <paramref name="limits"/> is its state under the server's limits, if it has one.
    /// <see cref="DuplexConnection.Start"/> registers it.
    /// </summary>
    public ServerStreamConnection(IStreamConnectionSession session, IConnectionLoop loop, object request, EndPoint? clientAddress, ConnectionState? limits)
        : base(loop, request is AcceptedSocket accepted ? accepted.Fd : (int)((Socket)request).Handle)
    {
        _session = session;
        _request = request;
        _clientAddress = clientAddress;
        Limits = limits;
        // Every accepted stream connection has limits state (the async dispatcher tracks them all); it carries the totals.
        Traffic = Limits?.Traffic;
    }

    /// <inheritdoc/>
    public ConnectionState? Limits { get; }

    /// <inheritdoc/>
    /// <remarks>The connection's own reader, observed: no wrapper per connection (see <see cref="OnObservedReadEnded"/>).</remarks>
    public PipeReader InputSeenByLimits()
    {
        if (Limits is not null)
        {
            ObserveReads();
        }

        return Input;
    }

    /// <inheritdoc/>
    public PipeReader HelperInput => Limits is null ? Input : UnobservedInput;

    /// <summary>The request as the server's hooks know it: the accepted socket, or the <see cref="AcceptedSocket"/> it will be built from.</summary>
    public object Request => _request;

    /// <inheritdoc/>
    /// <remarks>
    /// Always null: TLS connections are served by <see cref="PortableConnections"/>, off the loops (those that start
    /// TLS mid-stream move there first).
    /// </remarks>
    public SslStream? TlsStream => null;

    /// <inheritdoc/>
    public void HandlerCompleted(Exception? exception)
    {
        if (OnLoopThread)
        {
            OnHandlerCompleted(exception);
        }
        else
        {
            // The handler finished on another thread (it awaited something off the loop): close on the loop.
            _handlerFailure = exception;
            PostToLoop(new CompletionWork(this));
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The handshake and the encryption must not run on the loop: on the loop's thread, what the handler wrote is
    /// sent, the descriptor is unregistered, and the socket (with what the loop read after the handler's check) goes
    /// to the session's <see cref="ReactorServeSession.TlsConnections"/>, as a connection accepted with TLS would.
    /// </remarks>
    public ValueTask<PortableConnection> PrepareStartTlsAsync()
    {
        var handoff = new ReactorTlsHandoff(this);
        PostToLoop(handoff);
        return new ValueTask<PortableConnection>(handoff.Moved);
    }

    /// <summary>Starts the move off the loop: completing the output sends what is left; <see cref="OnOutputFinished"/> goes on. Loop thread.</summary>
    internal void BeginHandoff(ReactorTlsHandoff handoff)
    {
        if (_closed || _handlerDone || _session.IsStopping || IsOutputFinished)
        {
            handoff.Fail(new IOException("StartTlsAsync: the connection was closed (or the server is stopping) before TLS could start."));
            return;
        }

        _handoff = handoff;
        Output.Complete();
    }

    /// <summary>
    /// Ends the connection because the server stops: closed once its output finished (at once on epoll; on io_uring
    /// when the last send completes). Loop thread.
    /// </summary>
    public void Stop()
    {
        Abort();
        if (IsOutputFinished)
        {
            Close();
        }
        else
        {
            _closeWhenFinished = true;
        }
    }

    /// <inheritdoc/>
    protected override void OnOutputFinished(Exception? error)
    {
        if (_handoff is { } handoff)
        {
            _handoff = null;
            // Stop() is only called once the session is stopping, so that flag says it for this connection too.
            if (error is null && !_session.IsStopping)
            {
                if (StopReceiving())
                {
                    MoveOffLoop(handoff);
                }
                else
                {
                    // The socket may change hands only once the kernel no longer receives for us (io_uring).
                    _handoffAwaitingReceive = handoff;
                }
            }
            else
            {
                handoff.Fail(error ?? new IOException("StartTlsAsync: the server stopped before TLS could start."));
            }

            return;
        }

        if (_handlerDone || _closeWhenFinished)
        {
            Close();
        }
    }

    /// <inheritdoc/>
    protected override void OnReceiveStopped()
    {
        if (_handoffAwaitingReceive is { } handoff)
        {
            _handoffAwaitingReceive = null;
            MoveOffLoop(handoff);
        }
    }

    /// <inheritdoc/>
    protected override void OnSendWaiting(long unsent, bool progressed)
    {
        // ServerLimits.MinSendRate: the heartbeat aborts output stuck unsent for longer than the rate allows.
        if (Limits is not { EndedByLimit: false } limits)
        {
            return;
        }

        if (limits.IsWriting && progressed)
        {
            limits.AfterSend();
        }

        if (!limits.IsWriting)
        {
            limits.BeforeSend((int)Math.Min(unsent, int.MaxValue));
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A read that waits is a receive for the limits; false from the state means a drain closed this idle connection
    /// (its receiving side is shut), so the read completes with the end of the stream.
    /// </remarks>
    protected override void OnObservedReadWaits() => _ = Limits!.BeforeReceive(0);

    /// <inheritdoc/>
    /// <remarks>A read that returns bytes is a whole unit, as a plain <c>recv</c> is on the faithful path.</remarks>
    protected override void OnObservedReadReturned(long length) => Limits!.UnitCompleted();

    /// <inheritdoc/>
    protected override Exception? OnObservedReadEnded(long length)
    {
        ConnectionState limits = Limits!;
        try
        {
            limits.AfterReceive((int)Math.Min(length, int.MaxValue));
        }
        catch (Exception limit)
        {
            // The limit that cut the connection (a ConnectionLimitException) ends the read instead.
            return limit;
        }

        if (length > 0)
        {
            limits.UnitCompleted();
        }

        return null;
    }

    /// <inheritdoc/>
    protected override void OnSendCaughtUp()
    {
        if (Limits is { IsWriting: true } limits)
        {
            limits.AfterSend();
        }
    }

    private void OnHandlerCompleted(Exception? exception)
    {
        if (_handlerDone)
        {
            return;
        }

        _handlerDone = true;
        if (exception is not null)
        {
            _session.ReportHandlerFailure(_request, _clientAddress, exception);
        }

        Input.Complete();
        Output.Complete();
        if (IsOutputFinished)
        {
            Close();
        }
    }

    /// <summary>
    /// Everything written was sent: the socket leaves the loop for a portable connection, which owns it from now on
    /// (its close runs <c>ShutdownRequest</c>, once; this connection never closes). Loop thread.
    /// </summary>
    private void MoveOffLoop(ReactorTlsHandoff handoff)
    {
        if (_closed)
        {
            handoff.Fail(new IOException("StartTlsAsync: the connection was closed before TLS could start."));
            return;
        }

        // Everything that can fail comes first, while the connection is still the loop's to close.
        byte[] rest;
        PortableConnection portable;
        try
        {
            // What the loop read after the handler's check came after the "go ahead": the client's hello, for the
            // handshake. Reading it throws when the loop's read failed (a reset): then there is nothing to move.
            rest = TlsUpgrade.TakeRest(Input);
            // NetworkStream wants Blocking true in .NET's view only, as for connections accepted with TLS (see AsyncDispatcher).
            Socket socket = AcceptedSocket.SocketOf(_request)!;
            socket.Blocking = true;
            portable = _session.TlsConnections.Adopt(_request, socket, _clientAddress);
        }
        catch (Exception e) when (e is IOException || SocketErrors.IsSocketLevel(e))
        {
            handoff.Fail(e);
            if (_handlerDone || _closeWhenFinished)
            {
                Close();
            }

            return;
        }

        _closed = true;
        Detach();
        _session.ConnectionMoved(this);
        portable.CarryBytes(rest);
        Input.Complete();
        handoff.Complete(portable);
    }

    private void Close()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        if (_handoffAwaitingReceive is { } handoff)
        {
            // Stopping while io_uring's receive was ending for a STARTTLS move: the move will not happen.
            _handoffAwaitingReceive = null;
            handoff.Fail(new IOException("StartTlsAsync: the server stopped before TLS could start."));
        }

        // Unregistered before the descriptor closes: once closed, its number may be reused by the next accept. The
        // request closes it next (ShutdownRequest, the library's own when the request is an AcceptedSocket); with no
        // Socket built, nobody else holds the file, so epoll drops it at that close by itself.
        Detach(closedNextByOnlyOwner: _request is AcceptedSocket { HasSocket: false });
        _session.ConnectionClosed(this);
    }

    private sealed class CompletionWork(ServerStreamConnection connection) : IReactorWork
    {
        public void Execute() => connection.OnHandlerCompleted(connection._handlerFailure);
    }
}
