namespace SocketServer.Internal.Reactor;

/// <summary>
/// A piece of work run on a loop's thread: posted from any thread (<see cref="EventLoop.Post"/>) or queued for the
/// end of the current batch of events (<see cref="EventLoop.RunAtEndOfBatch"/>). An interface rather than a
/// delegate so that long-lived objects (connections) can queue themselves without allocating a closure.
/// </summary>
internal interface IReactorWork
{
    /// <summary>Runs the work on the loop's thread.</summary>
    void Execute();
}
