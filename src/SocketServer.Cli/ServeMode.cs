namespace SocketServer.Cli;

/// <summary>How a listener serves its requests.</summary>
internal enum ServeMode
{
    /// <summary>One request at a time on the listener's thread, like Python's <c>TCPServer</c>; the default.</summary>
    Sync,

    /// <summary>A thread per request, like Python's <c>ThreadingTCPServer</c>, with daemon threads.</summary>
    Threading,

    /// <summary>A worker process per request, like Python's <c>ForkingTCPServer</c> (this program started again).</summary>
    Forking,

    /// <summary>
    /// Every listener served by <c>ServeAsync</c> with async handlers on the library's event loops.
    /// </summary>
    Async,
}
