namespace SocketServer.Cli.Bench;

/// <summary>How the load generator drives its sockets (<c>--engine</c>).</summary>
internal enum BenchEngine
{
    /// <summary>
    /// Raw nonblocking sockets on the library's epoll reactor, one event-loop thread per usable CPU, no allocation
    /// per message: the default on 64-bit Linux.
    /// </summary>
    Reactor,

    /// <summary>One .NET async <see cref="System.Net.Sockets.Socket"/> task per connection: the default elsewhere.</summary>
    Sockets,
}
