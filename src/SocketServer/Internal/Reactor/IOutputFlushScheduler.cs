namespace SocketServer.Internal.Reactor;

/// <summary>
/// A loop-driven connection that sends what its application flushed when its loop gets to it (the seam
/// <see cref="ReactorOutputWriter"/> needs, shared by the epoll and io_uring transports).
/// </summary>
internal interface IOutputFlushScheduler
{
    /// <summary>Asks the connection's loop to send what is pending in the output pipe; callable from any thread.</summary>
    void ScheduleFlush();
}
