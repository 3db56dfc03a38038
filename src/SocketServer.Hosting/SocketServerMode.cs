namespace SocketServer.Hosting;

/// <summary>How a hosted server serves its requests; the configuration's <c>Mode</c> (<c>async</c>, <c>threading</c>, <c>sync</c>, <c>forking</c>).</summary>
public enum SocketServerMode
{
    /// <summary>
    /// <see cref="BaseServer.ServeAsync"/> (the default): async handlers on the library's event loops, no thread per
    /// connection; a synchronous handler gets a thread per request.
    /// </summary>
    Async,

    /// <summary>A thread per request, like Python's <c>ThreadingTCPServer</c> (<see cref="ThreadingTcpServer"/> and its kin).</summary>
    Threading,

    /// <summary>One request at a time on the server's own thread, like Python's <c>TCPServer</c>.</summary>
    Sync,

    /// <summary>
    /// A worker process per request, like Python's <c>ForkingTCPServer</c> (<see cref="ForkingTcpServer"/> and its kin;
    /// 64-bit Linux). A worker is this program started again: it builds and starts the host too.
    /// </summary>
    Forking,
}
