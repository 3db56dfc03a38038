namespace SocketServer.Internal.Async;

/// <summary>
/// What the async dispatcher hands, on the current thread, to the hooks it calls: the handler it already built
/// (<see cref="BaseServer.FinishRequest"/> takes it instead of calling the factory again, so a handler is built once
/// and the hook still runs) and, for an async handler on the reactor, the connection it is to run on.
/// </summary>
internal static class AmbientRequest
{
    [ThreadStatic]
    private static BaseRequestHandler? t_preparedHandler;

    [ThreadStatic]
    private static IAsyncConnection? t_connection;

    [ThreadStatic]
    private static IAsyncDatagramHost? t_datagramHost;

    /// <summary>Set while an async datagram handler is started on an event loop: where it reports a late failure.</summary>
    public static IAsyncDatagramHost? DatagramHost
    {
        get => t_datagramHost;
        set => t_datagramHost = value;
    }

    /// <summary>The connection an async handler started on this thread attaches to, if any.</summary>
    public static IAsyncConnection? Connection
    {
        get => t_connection;
        set => t_connection = value;
    }

    /// <summary>Sets the handler the next <see cref="TakePreparedHandler"/> on this thread returns.</summary>
    public static void Prepare(BaseRequestHandler? handler) => t_preparedHandler = handler;

    /// <summary>Returns and forgets the prepared handler, or null.</summary>
    public static BaseRequestHandler? TakePreparedHandler()
    {
        BaseRequestHandler? handler = t_preparedHandler;
        t_preparedHandler = null;
        return handler;
    }
}
