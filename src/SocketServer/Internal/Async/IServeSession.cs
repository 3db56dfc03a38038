using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Dispatch;

namespace SocketServer.Internal.Async;

/// <summary>
/// The transport of one <see cref="BaseServer.ServeAsync"/> run, on the reactor or on the portable transport: it
/// accepts or receives and hands each request to the server's request pipeline, runs async handlers' connections,
/// and stops.
/// </summary>
internal interface IServeSession : IAsyncDatagramHost, IDisposable
{
    /// <summary>The dispatcher <c>ProcessRequest</c> uses while the session runs.</summary>
    RequestDispatcher Dispatcher { get; }

    /// <summary>Completes when serving stopped and every connection was closed.</summary>
    Task Completion { get; }

    /// <summary>Starts accepting or receiving, tied to <paramref name="cancellationToken"/>.</summary>
    void Start(CancellationToken cancellationToken);

    /// <summary>Stops serving (idempotent, any thread).</summary>
    void RequestStop();

    /// <summary>True on a thread that stopping waits for (a reactor loop): <c>Shutdown()</c> there would deadlock.</summary>
    bool IsOnLoopThread();

    /// <summary>Stops accepting (a drain): connections already open go on; clients that connect wait in the backlog.</summary>
    void StopAccepting();

    /// <summary>A connection ended under <see cref="ServerLimits.MaxConnections"/>: accept again if accepting paused there.</summary>
    void ResumeAccepting();

    /// <summary>
    /// Runs an async stream handler on the connection <paramref name="request"/>, a <see cref="Socket"/> or an
    /// <see cref="Requests.AcceptedSocket"/> (after a TLS handshake when the server has TLS).
    /// </summary>
    void StartConnection(BaseRequestHandler handler, object request, EndPoint? clientAddress);

    /// <summary>Whether an async datagram handler may start on the calling thread (it does not block).</summary>
    bool CanServeInline();

    /// <summary>Readies an accepted socket for a synchronous handler on its own thread (blocking reads and writes).</summary>
    void PrepareForRequestThread(Socket socket);
}
