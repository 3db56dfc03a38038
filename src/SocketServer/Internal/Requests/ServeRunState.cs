namespace SocketServer.Internal.Requests;

/// <summary>Where a <see cref="ServeRun"/> is in its life.</summary>
internal enum ServeRunState
{
    /// <summary>Created; the loop or session is being set up.</summary>
    Starting,

    /// <summary>Serving requests.</summary>
    Serving,

    /// <summary>Asked to stop (<c>Shutdown</c>, <c>ShutdownAsync</c>, <c>ServerClose</c>, a cancelled token or an exit request); finishing.</summary>
    Stopping,

    /// <summary>Returned: the server may serve again.</summary>
    Ended,
}
