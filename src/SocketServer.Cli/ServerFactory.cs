namespace SocketServer.Cli;

/// <summary>Creates, binds and activates the library's server for a listener.</summary>
internal static class ServerFactory
{
    /// <summary>Creates the server for <paramref name="listener"/>; it is bound (and listening, for streams) on return.</summary>
    /// <param name="listener">The listener to create.</param>
    /// <param name="protocol">The protocol to serve.</param>
    /// <param name="mode">Synchronous, threading, forking or async (a plain server, served by <c>ServeAsync</c>).</param>
    /// <param name="tls">TLS for a stream listener, or <see langword="null"/>; datagram listeners are served in plaintext.</param>
    /// <param name="recoverStaleSocketFile">
    /// Whether a Unix listener removes a stale socket file at its path first (the library's checked recovery: only a
    /// socket nobody listens on is removed); <see langword="false"/> refuses any existing path.
    /// </param>
    /// <param name="maxIdleThreads">
    /// <c>--max-idle-threads</c>: how many request threads a threading server keeps parked for the next request (0: a
    /// new thread each time, as Python); <see langword="null"/> keeps the library's default. Only the threading mode has them.
    /// </param>
    /// <returns>The bound server.</returns>
    /// <exception cref="ServerBindException">The address could not be bound.</exception>
    public static TcpServer Create(ListenerSpec listener, ServeProtocol protocol, ServeMode mode, TlsOptions? tls = null, bool recoverStaleSocketFile = true, int? maxIdleThreads = null)
    {
        Func<BaseRequestHandler> handlers = ProtocolHandlers.For(protocol, listener.IsStream, async: mode == ServeMode.Async);
        TcpServer server = mode switch
        {
            ServeMode.Threading => CreateThreading(listener, handlers, maxIdleThreads),
            ServeMode.Forking => CreateForking(listener, handlers),
            _ => CreateSync(listener, handlers),
        };
        if (listener.IsStream)
        {
            // Set in forking workers too: they build the same servers, and the handshake runs there.
            server.Tls = tls;
        }

        try
        {
            if (listener.Adopted is { } adopted)
            {
                // Bound by systemd, which also owns a Unix socket's file: nothing to bind, nothing to remove on close.
                server.AdoptSocket(adopted);
            }
            else
            {
                server.AllowReusePort = listener.ReusePort;
                BindAndActivate(server, recoverStaleSocketFile);
            }

            return server;
        }
        catch
        {
            server.ServerClose();
            throw;
        }
    }

    // Constructed unbound, so that a Unix listener can set its socket-file options, which are read while binding:
    // a stale file (left by a kill -9) is removed only after a connect to it is refused, and the file removed on
    // close only if it is still the one this bind created.
    private static void BindAndActivate(TcpServer server, bool recoverStaleSocketFile)
    {
        switch (server)
        {
            case UnixStreamServer unix:
                unix.RemoveSocketFileOnClose = true;
                unix.RecoverStaleSocketFile = recoverStaleSocketFile;
                break;
            case UnixDatagramServer unixDatagram:
                unixDatagram.RemoveSocketFileOnClose = true;
                unixDatagram.RecoverStaleSocketFile = recoverStaleSocketFile;
                break;
        }

        if (!ForkingWorker.IsWorkerProcess)
        {
            server.ServerBind();
            server.ServerActivate();
        }
    }

    private static TcpServer CreateSync(ListenerSpec listener, Func<BaseRequestHandler> handlers) => listener.Kind switch
    {
        ListenerKind.Tcp => new TcpServer(listener.EndPoint, handlers, bindAndActivate: false),
        ListenerKind.Udp => new UdpServer(listener.EndPoint, handlers, bindAndActivate: false),
        ListenerKind.Unix => new UnixStreamServer(listener.EndPoint, handlers, bindAndActivate: false),
        _ => new UnixDatagramServer(listener.EndPoint, handlers, bindAndActivate: false),
    };

    // Daemon (background) request threads: an idle client must not keep the process alive after a signal.
    // The settings are read when each request thread starts or ends, so setting them after construction is in time.
    private static TcpServer CreateThreading(ListenerSpec listener, Func<BaseRequestHandler> handlers, int? maxIdleThreads)
    {
        switch (listener.Kind)
        {
            case ListenerKind.Tcp:
                var tcp = new ThreadingTcpServer(listener.EndPoint, handlers, bindAndActivate: false) { DaemonThreads = true };
                tcp.MaxIdleThreads = maxIdleThreads ?? tcp.MaxIdleThreads;
                return tcp;
            case ListenerKind.Udp:
                var udp = new ThreadingUdpServer(listener.EndPoint, handlers, bindAndActivate: false) { DaemonThreads = true };
                udp.MaxIdleThreads = maxIdleThreads ?? udp.MaxIdleThreads;
                return udp;
            case ListenerKind.Unix:
                var unix = new ThreadingUnixStreamServer(listener.EndPoint, handlers, bindAndActivate: false) { DaemonThreads = true };
                unix.MaxIdleThreads = maxIdleThreads ?? unix.MaxIdleThreads;
                return unix;
            default:
                var unixDatagram = new ThreadingUnixDatagramServer(listener.EndPoint, handlers, bindAndActivate: false) { DaemonThreads = true };
                unixDatagram.MaxIdleThreads = maxIdleThreads ?? unixDatagram.MaxIdleThreads;
                return unixDatagram;
        }
    }

    // Workers are this program started again with the same arguments; they must build the listeners in the same
    // order (they do: the order of the options). The stop's drain waits for busy workers and kills what is left at its
    // end, so the close need not wait; a worker never outlives the command anyway (it exits when its parent is gone).
    private static TcpServer CreateForking(ListenerSpec listener, Func<BaseRequestHandler> handlers) => listener.Kind switch
    {
        ListenerKind.Tcp => new ForkingTcpServer(listener.EndPoint, handlers, bindAndActivate: false) { BlockOnClose = false },
        ListenerKind.Udp => new ForkingUdpServer(listener.EndPoint, handlers, bindAndActivate: false) { BlockOnClose = false },
        ListenerKind.Unix => new ForkingUnixStreamServer(listener.EndPoint, handlers, bindAndActivate: false) { BlockOnClose = false },
        _ => new ForkingUnixDatagramServer(listener.EndPoint, handlers, bindAndActivate: false) { BlockOnClose = false },
    };
}
