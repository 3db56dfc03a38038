using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using SocketServer.Internal.Limits;
using SocketServer.Internal.Reactor;

namespace SocketServer.Internal.Async;

/// <summary>
/// An accepted connection served by an <see cref="AsyncStreamRequestHandler"/> on the reactor. When the handler
/// completed (its exception reported by <see cref="BaseServer.HandleError"/>) and its output was sent, the server's
/// <c>ShutdownRequest</c> shuts the socket down and closes it, as after a synchronous handler.
/// </summary>
internal sealed class ServerStreamConnection : ReactorConnection, IAsyncConnection
{
    private readonly ReactorServeSession _session;
    private readonly Socket _socket;
    private readonly EndPoint? _clientAddress;
    private Exception? _handlerFailure;
    private bool _handlerDone;
    private bool _closed;

    /// <summary>Creates the connection for an accepted, non-blocking socket; <see cref="ReactorConnection.Start"/> registers it.</summary>
    public ServerStreamConnection(ReactorServeSession session, EventLoop loop, Socket socket, EndPoint? clientAddress)
        : base(loop, (int)socket.Handle)
    {
        _session = session;
        _socket = socket;
        _clientAddress = clientAddress;
        Limits = session.FindLimits(socket);
    }

    /// <inheritdoc/>
    public ConnectionState? Limits { get; }

    /// <summary>The request as the server's hooks know it: the accepted socket.</summary>
    public Socket Socket => _socket;

    /// <inheritdoc/>
    /// <remarks>Always null: TLS connections are served by <see cref="PortableConnections"/>, off the loops.</remarks>
    public SslStream? TlsStream => null;

    /// <inheritdoc/>
    public void HandlerCompleted(Exception? exception)
    {
        if (Loop.IsOnLoopThread)
        {
            OnHandlerCompleted(exception);
        }
        else
        {
            // The handler finished on another thread (it awaited something off the loop): close on the loop.
            _handlerFailure = exception;
            Loop.Post(new CompletionWork(this));
        }
    }

    /// <summary>Ends the connection because the server stops. Loop thread.</summary>
    public void Stop()
    {
        Abort();
        Close();
    }

    /// <inheritdoc/>
    protected override void OnOutputFinished(Exception? error)
    {
        if (_handlerDone)
        {
            Close();
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
            _session.ReportHandlerFailure(_socket, _clientAddress, exception);
        }

        Input.Complete();
        Output.Complete();
        if (IsOutputFinished)
        {
            Close();
        }
    }

    private void Close()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        // Unregistered before the descriptor closes: once closed, its number may be reused by the next accept.
        Detach();
        _session.ConnectionClosed(this);
    }

    private sealed class CompletionWork(ServerStreamConnection connection) : IReactorWork
    {
        public void Execute() => connection.OnHandlerCompleted(connection._handlerFailure);
    }
}
