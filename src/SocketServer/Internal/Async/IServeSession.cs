namespace SocketServer.Internal.Async;

/// <summary>One run of <see cref="BaseServer.ServeAsync"/>, on the reactor or on the portable transport.</summary>
internal interface IServeSession
{
    /// <summary>The dispatcher <c>ProcessRequest</c> uses while the session runs.</summary>
    RequestDispatcher Dispatcher { get; }

    /// <summary>Completes when serving stopped and every connection was closed.</summary>
    Task Completion { get; }

    /// <summary>Stops serving (idempotent, any thread).</summary>
    void RequestStop();

    /// <summary>True on a thread that stopping waits for (a reactor loop): <c>Shutdown()</c> there would deadlock.</summary>
    bool IsOnLoopThread();

    /// <summary>Stops accepting (a drain): connections already open go on; clients that connect wait in the backlog.</summary>
    void StopAccepting();

    /// <summary>A connection ended under <see cref="ServerLimits.MaxConnections"/>: accept again if accepting paused there.</summary>
    void ResumeAccepting();
}
