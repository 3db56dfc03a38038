using System.Net;
using SocketServer.Internal.Async;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// What a <see cref="ServerStreamConnection"/> needs of the serve session that accepted it, epoll's
/// <see cref="ReactorServeSession"/> or io_uring's <see cref="IoUring.IoUringServeSession"/>.
/// </summary>
internal interface IStreamConnectionSession
{
    /// <summary>True once serving stops: no connection moves off a loop any more.</summary>
    bool IsStopping { get; }

    /// <summary>The TLS connections, served off the loops, where STARTTLS moves a connection.</summary>
    PortableConnections TlsConnections { get; }

    /// <summary>Reports a handler's failure with <c>HandleError</c>; a <see cref="ServerExitException"/> stops serving.</summary>
    void ReportHandlerFailure(object request, EndPoint? clientAddress, Exception exception);

    /// <summary>A connection is done: the server shuts it down and closes it. Loop thread.</summary>
    void ConnectionClosed(ServerStreamConnection connection);

    /// <summary>A connection's socket moved to <see cref="TlsConnections"/> (STARTTLS), which owns it now. Loop thread.</summary>
    void ConnectionMoved(ServerStreamConnection connection);
}
