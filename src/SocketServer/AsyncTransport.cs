namespace SocketServer;

/// <summary>Which engine <see cref="BaseServer.ServeAsync"/> serves on (<see cref="BaseServer.AsyncTransport"/>).</summary>
public enum AsyncTransport
{
    /// <summary>
    /// The library's epoll event loops on 64-bit Linux (the default); elsewhere the <see cref="Portable"/> transport.
    /// </summary>
    Epoll,

    /// <summary>
    /// io_uring event loops on 64-bit Linux with multishot receive (Linux 6.0 or later): multishot accept, multishot
    /// receive into a provided-buffer ring and one <c>io_uring_enter</c> per loop turn for every send of the turn.
    /// Stream servers only: a datagram server is served by epoll. Where io_uring is unavailable (an older kernel,
    /// <c>kernel.io_uring_disabled</c>, a seccomp profile in a container), epoll serves instead and one warning
    /// (event 700, <c>IoUringUnavailable</c>) says why.
    /// </summary>
    IoUring,

    /// <summary>
    /// .NET's asynchronous sockets and pipes over a <see cref="System.Net.Sockets.NetworkStream"/> per connection,
    /// on every platform: simple, not tuned.
    /// </summary>
    Portable,
}
