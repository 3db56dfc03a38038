using System.Net;
using System.Net.Sockets;

namespace SocketServer.Internal.Requests;

/// <summary>
/// The reusable <see cref="DatagramRequest"/>s of one async serve run on a datagram server (each with a pinned buffer
/// of the largest datagram, an address and a hand-off), and the idle instances of handlers that opted in to serving
/// many datagrams (<see cref="AsyncDatagramRequestHandler.Reusable"/>). A request comes back when its last holder
/// lets go (<see cref="DatagramRequest.Release"/>): the pipeline once it has ended the request, and an async handler
/// still running then once its task completes; so nothing is reused while anyone may still read it.
/// </summary>
/// <remarks>
/// Requests are rented on the receiving loop and come back from any thread (a request thread, the thread pool), hence
/// the lock, uncontended in the common case. Both free lists are bounded: what comes back beyond them is left to the
/// collector, so a burst of slow handlers does not keep its buffers for ever.
/// </remarks>
internal sealed class DatagramPool
{
    private readonly Lock _lock = new();
    private readonly Socket _socket;
    private readonly int _bufferSize;
    private readonly DatagramRequest[] _free;
    private readonly BaseRequestHandler[] _idleHandlers;
    private int _freeCount;
    private int _idleCount;

    /// <summary>A pool for <paramref name="socket"/>'s datagrams of up to <paramref name="bufferSize"/> bytes, keeping <paramref name="capacity"/> requests.</summary>
    public DatagramPool(Socket socket, int bufferSize, int capacity, IDatagramReplies replies)
    {
        _socket = socket;
        _bufferSize = bufferSize;
        _free = new DatagramRequest[capacity];
        _idleHandlers = new BaseRequestHandler[capacity];
        Replies = replies;
    }

    /// <summary>Where the handlers' replies go.</summary>
    public IDatagramReplies Replies { get; }

    /// <summary>How many requests were made (not reused) so far; for tests.</summary>
    public int Created { get; private set; }

    /// <summary>A free request, or a new one.</summary>
    public DatagramRequest Rent()
    {
        lock (_lock)
        {
            if (_freeCount > 0)
            {
                DatagramRequest request = _free[--_freeCount];
                _free[_freeCount] = null!;
                return request;
            }

            Created++;
        }

        return new DatagramRequest(this, _socket, _bufferSize);
    }

    /// <summary>
    /// The handler for <paramref name="request"/>: an idle reusable one, or else the server's
    /// <c>CreateRequestHandler</c>'s. Remembered on the request, to be given back with it.
    /// </summary>
    public BaseRequestHandler HandlerFor(BaseServer server, DatagramRequest request, EndPoint? clientAddress)
    {
        BaseRequestHandler? handler = null;
        lock (_lock)
        {
            if (_idleCount > 0)
            {
                handler = _idleHandlers[--_idleCount];
                _idleHandlers[_idleCount] = null!;
            }
        }

        handler ??= server.CreateHandlerFor(request, clientAddress);
        request.Handler = handler;
        return handler;
    }

    /// <summary>A request nobody holds any more: cleared and kept (with its handler, if that one may serve again).</summary>
    public void Return(DatagramRequest request)
    {
        BaseRequestHandler? handler = request.Handler;
        request.Clear();
        bool reuseHandler = handler is AsyncDatagramRequestHandler { CanServeAgain: true };
        if (reuseHandler)
        {
            handler!.Detach();
        }

        lock (_lock)
        {
            if (_freeCount < _free.Length)
            {
                _free[_freeCount++] = request;
            }

            if (reuseHandler && _idleCount < _idleHandlers.Length)
            {
                _idleHandlers[_idleCount++] = handler!;
            }
        }
    }
}
