using SocketServer.Internal.Forking;

namespace SocketServer;

/// <summary>
/// Tells whether this process is a forking server's worker. A worker is the server's program started again with
/// the same arguments; it runs the same <c>Main</c>, and when it reaches the forking server's
/// <see cref="BaseServer.ServeForever()"/> it serves the requests its parent hands it, then exits.
/// </summary>
/// <remarks>
/// Forking servers are matched between parent and worker by the order in which the program constructs them, so
/// build them in the same order on every run. In a worker no forking server binds; other servers would try to, so
/// a program that also runs ordinary servers should skip them when <see cref="IsWorkerProcess"/> is true, and
/// should not print or do start-up work meant for the parent.
/// </remarks>
public static class ForkingWorker
{
    /// <summary>Whether this process was started by a forking server to serve its requests.</summary>
    public static bool IsWorkerProcess => WorkerEnvironment.Current is not null;
}
