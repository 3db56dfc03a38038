using SocketServer.Internal.Async;

namespace SocketServer.Internal.Requests;

/// <summary>
/// What a dispatcher hands to <c>FinishRequest</c> beside the request: the handler it already built (to know where
/// the request runs, it had to) and, on the async path, the connection or datagram host the handler runs on. Passed
/// through the server's <see cref="RequestHandoffs"/>, keyed by the request, because <c>FinishRequest</c>'s
/// signature is Python's and a user's override must keep working.
/// </summary>
internal sealed class PreparedRequest
{
    private IAsyncConnection? _connection;
    private DatagramRequest? _pooledDatagram;
    private int _endClaimed;

    /// <summary>A request whose handler is built, with the connection or datagram host it runs on, if any.</summary>
    public PreparedRequest(BaseRequestHandler handler, IAsyncConnection? connection = null, IAsyncDatagramHost? datagramHost = null)
    {
        Handler = handler;
        _connection = connection;
        DatagramHost = datagramHost;
    }

    /// <summary>The hand-off a pooled <see cref="DatagramRequest"/> owns, filled by <see cref="ForDatagram"/> for each datagram.</summary>
    internal PreparedRequest() => Handler = null!;

    /// <summary>The handler <c>FinishRequest</c> runs instead of calling the factory again.</summary>
    public BaseRequestHandler Handler { get; private set; }

    /// <summary>Where an async datagram handler that completes later reports its failure; null off the async path.</summary>
    public IAsyncDatagramHost? DatagramHost { get; private set; }

    /// <summary>
    /// This pooled hand-off, reset for the datagram <paramref name="request"/> (whose own it is): no allocation per
    /// datagram. The request goes back to its pool only once the handler, if it defers its end, has completed too.
    /// </summary>
    public PreparedRequest ForDatagram(BaseRequestHandler handler, IAsyncDatagramHost host, DatagramRequest request)
    {
        Handler = handler;
        DatagramHost = host;
        _pooledDatagram = request;
        _connection = null;
        _endClaimed = 0;
        EndDeferred = false;
        ConnectionTaken = false;
        return this;
    }

    /// <summary>
    /// Whether an async datagram handler was still running when <c>FinishRequest</c> returned: it ends the request
    /// itself when its task completes, so that <c>ShutdownRequest</c> comes after the handler, as on every other path.
    /// </summary>
    public bool EndDeferred { get; private set; }

    /// <summary>Whether an async stream handler took <see cref="TakeConnection"/>'s connection and now owns the request's end.</summary>
    public bool ConnectionTaken { get; private set; }

    /// <summary>The handler goes on after <c>FinishRequest</c> returns and will end the request (<see cref="TryClaimEnd"/>).</summary>
    public void DeferEnd()
    {
        EndDeferred = true;
        // The handler keeps its (pooled) request until it calls HandlerDone, whenever the request is ended.
        _pooledDatagram?.Hold();
    }

    /// <summary>A handler that deferred its end has completed: its hold on a pooled request is given up. Its last act.</summary>
    public void HandlerDone() => _pooledDatagram?.Release();

    /// <summary>Takes the one call that ends the request; false when it was taken already.</summary>
    public bool TryClaimEnd() => Interlocked.Exchange(ref _endClaimed, 1) == 0;

    /// <summary>The connection an async stream handler runs on, once: the handler that takes it reports its completion to it.</summary>
    public IAsyncConnection? TakeConnection()
    {
        IAsyncConnection? connection = _connection;
        _connection = null;
        ConnectionTaken |= connection is not null;
        return connection;
    }
}
