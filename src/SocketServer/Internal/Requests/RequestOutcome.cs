namespace SocketServer.Internal.Requests;

/// <summary>How a request's <c>FinishRequest</c> ended, as the forking worker reports it to its parent.</summary>
internal enum RequestOutcome
{
    /// <summary><c>FinishRequest</c> returned.</summary>
    Completed,

    /// <summary><c>FinishRequest</c> threw an ordinary exception; it was reported (or was a limit's, counted when it happened).</summary>
    Failed,

    /// <summary><c>FinishRequest</c> threw a <see cref="ServerExitException"/>: the server is asked to exit.</summary>
    ExitRequested,
}
