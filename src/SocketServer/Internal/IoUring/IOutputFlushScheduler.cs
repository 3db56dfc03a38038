namespace SocketServer.Internal.IoUring;

/// <summary>
/// A loop-driven connection that sends what its application flushed when its loop gets to it (what
/// <see cref="IoUringOutputWriter"/> needs of the io_uring connection).
/// </summary>
internal interface IOutputFlushScheduler
{
    /// <summary>Asks the connection's loop to send what is pending in the output pipe; callable from any thread.</summary>
    void ScheduleFlush();
}
