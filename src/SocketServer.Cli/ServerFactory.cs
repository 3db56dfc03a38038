namespace SocketServer.Cli;

/// <summary>Creates, binds and activates the library's server for a listener.</summary>
internal static class ServerFactory
{
    /// <summary>Creates the server for <paramref name="listener"/>; it is bound (and listening, for streams) on return.</summary>
    /// <param name="listener">The listener to create.</param>
    /// <param name="protocol">The protocol to serve.</param>
    /// <param name="mode">Synchronous or threading.</param>
    /// <returns>The bound server.</returns>
    /// <exception cref="ServerBindException">The address could not be bound.</exception>
    public static TcpServer Create(ListenerSpec listener, ServeProtocol protocol, ServeMode mode)
    {
        Func<BaseRequestHandler> handlers = ProtocolHandlers.For(protocol, listener.IsStream);
        return mode switch
        {
            ServeMode.Threading => CreateThreading(listener, handlers),
            ServeMode.Forking => CreateForking(listener, handlers),
            _ => CreateSync(listener, handlers),
        };
    }

    private static TcpServer CreateSync(ListenerSpec listener, Func<BaseRequestHandler> handlers) => listener.Kind switch
    {
        ListenerKind.Tcp => new TcpServer(listener.EndPoint, handlers),
        ListenerKind.Udp => new UdpServer(listener.EndPoint, handlers),
        ListenerKind.Unix => new UnixStreamServer(listener.EndPoint, handlers),
        _ => new UnixDatagramServer(listener.EndPoint, handlers),
    };

    // Daemon (background) request threads: an idle client must not keep the process alive after a signal.
    // The setting is read when each request thread starts, so setting it after construction is in time.
    private static TcpServer CreateThreading(ListenerSpec listener, Func<BaseRequestHandler> handlers) => listener.Kind switch
    {
        ListenerKind.Tcp => new ThreadingTcpServer(listener.EndPoint, handlers) { DaemonThreads = true },
        ListenerKind.Udp => new ThreadingUdpServer(listener.EndPoint, handlers) { DaemonThreads = true },
        ListenerKind.Unix => new ThreadingUnixStreamServer(listener.EndPoint, handlers) { DaemonThreads = true },
        _ => new ThreadingUnixDatagramServer(listener.EndPoint, handlers) { DaemonThreads = true },
    };

    // Workers are this program started again with the same arguments; they must build the listeners in the same
    // order (they do: the order of the options). A stop does not wait for workers: each finishes its request.
    private static TcpServer CreateForking(ListenerSpec listener, Func<BaseRequestHandler> handlers) => listener.Kind switch
    {
        ListenerKind.Tcp => new ForkingTcpServer(listener.EndPoint, handlers) { BlockOnClose = false },
        ListenerKind.Udp => new ForkingUdpServer(listener.EndPoint, handlers) { BlockOnClose = false },
        ListenerKind.Unix => new ForkingUnixStreamServer(listener.EndPoint, handlers) { BlockOnClose = false },
        _ => new ForkingUnixDatagramServer(listener.EndPoint, handlers) { BlockOnClose = false },
    };
}
