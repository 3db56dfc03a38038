using System.Net;
using SocketServer.Internal.Reactor;

namespace SocketServer.Tests.Infrastructure;

/// <summary>
/// The in-process ways a stream server serves (issue #10's mode matrix). The fifth mode, forking, runs in a child
/// process: its rows are in SocketServer.Forking.Tests (ForkingMatrixTests).
/// </summary>
public enum ServeMode
{
    /// <summary><see cref="TcpServer"/>'s <see cref="BaseServer.ServeForever()"/> on a thread: one request at a time, on the loop's thread.</summary>
    Sync,

    /// <summary><see cref="ThreadingTcpServer"/>'s <see cref="BaseServer.ServeForever()"/>: a thread per request.</summary>
    Threading,

    /// <summary><see cref="TcpServer"/>'s <see cref="BaseServer.ServeAsync"/> on the epoll reactor (64-bit Linux).</summary>
    Reactor,

    /// <summary><see cref="TcpServer"/>'s <see cref="BaseServer.ServeAsync"/> on the portable transport (forced here).</summary>
    Portable,

    /// <summary><see cref="TcpServer"/>'s <see cref="BaseServer.ServeAsync"/> on io_uring (Linux 6.0+; skipped with the reason elsewhere).</summary>
    IoUring,
}

/// <summary>Which handler serves a row: a <see cref="StreamRequestHandler"/> or an <see cref="AsyncStreamRequestHandler"/>.</summary>
public enum HandlerShape
{
    Sync,
    Async,
}

internal static class ServeModes
{
    public static readonly ServeMode[] All = Enum.GetValues<ServeMode>();

    /// <summary>Every row of <paramref name="modes"/> × both handler shapes.</summary>
    public static TheoryData<ServeMode, HandlerShape> Rows(params ServeMode[] modes)
    {
        var rows = new TheoryData<ServeMode, HandlerShape>();
        foreach (ServeMode mode in modes)
        {
            rows.Add(mode, HandlerShape.Sync);
            rows.Add(mode, HandlerShape.Async);
        }

        return rows;
    }

    public static void SkipUnlessSupported(ServeMode mode)
    {
        Assert.SkipWhen(mode == ServeMode.Reactor && !ReactorNative.IsSupported, "ServeAsync's reactor runs on 64-bit Linux");
        if (mode == ServeMode.IoUring)
        {
            TestTransports.SkipUnlessAvailable(AsyncTransport.IoUring);
        }
    }

    /// <summary>
    /// Builds a loopback server for <paramref name="mode"/> (skipping the row where the mode does not run) with a fake
    /// clock and <paramref name="configure"/>'s limits, and starts serving it.
    /// </summary>
    /// <param name="mode">How to serve.</param>
    /// <param name="factory">The handler factory.</param>
    /// <param name="configure">Sets the limits; the defaults otherwise (they never fire: the clock only moves when a test moves it).</param>
    /// <param name="verify">Given the 1-based number of the request, whether <c>VerifyRequest</c> accepts it; all by default.</param>
    /// <param name="setup">Sets anything else on the server before it serves (TLS, the PROXY protocol).</param>
    public static ModeServer Start(ServeMode mode, Func<BaseRequestHandler> factory, Action<ServerLimits>? configure = null, Func<int, bool>? verify = null, Action<TcpServer>? setup = null)
    {
        SkipUnlessSupported(mode);
        var probe = new ServerProbe(verify);
        var address = new IPEndPoint(IPAddress.Loopback, 0);
        TcpServer server = mode == ServeMode.Threading ? new ProbedThreadingTcpServer(address, factory, probe) : new ProbedTcpServer(address, factory, probe);
        server.TimeProvider = probe.Clock;
        server.LoggerFactory = probe.Log.Factory;
        configure?.Invoke(server.Limits);
        server.AsyncTransport = mode switch
        {
            ServeMode.Portable => AsyncTransport.Portable,
            ServeMode.IoUring => AsyncTransport.IoUring,
            _ => AsyncTransport.Epoll,
        };
        setup?.Invoke(server);
        try
        {
            var served = new ModeServer(mode, server, probe, Serve(server, mode));
            // The probe passed (or the row was skipped): an io_uring row must not pass on the epoll fallback.
            Assert.True(mode != ServeMode.IoUring || server.IoUringSession is not null, "the io_uring row is served by io_uring");
            return served;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    private static Task Serve(TcpServer server, ServeMode mode) => mode switch
    {
        // A dedicated thread, as CPython's tests run serve_forever; the task faults with what the loop threw.
        ServeMode.Sync or ServeMode.Threading => Task.Factory.StartNew(
            () => server.ServeForever(TimeSpan.FromMilliseconds(10)),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default),
        _ => server.ServeAsync(TestContext.Current.CancellationToken),
    };

    /// <summary><see cref="TcpServer"/> with its hooks reported to a <see cref="ServerProbe"/>.</summary>
    private sealed class ProbedTcpServer(EndPoint address, Func<BaseRequestHandler> factory, ServerProbe probe) : TcpServer(address, factory)
    {
        protected override bool VerifyRequest(object request, EndPoint? clientAddress) => probe.Verify(request, clientAddress);

        protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) => probe.AddError(request, exception);

        protected override void HandleThreadException(object request, EndPoint? clientAddress, Exception exception) =>
            probe.AddThreadException(exception);

        protected override void ShutdownRequest(object request)
        {
            // Recorded before the close, so a client that read the end of the stream knows it was counted.
            probe.AddShutdown(request);
            base.ShutdownRequest(request);
        }
    }

    /// <summary>The threading twin of <see cref="ProbedTcpServer"/> (C# has no mix-ins, so the overrides are repeated).</summary>
    private sealed class ProbedThreadingTcpServer(EndPoint address, Func<BaseRequestHandler> factory, ServerProbe probe) : ThreadingTcpServer(address, factory)
    {
        protected override bool VerifyRequest(object request, EndPoint? clientAddress) => probe.Verify(request, clientAddress);

        protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) => probe.AddError(request, exception);

        protected override void HandleThreadException(object request, EndPoint? clientAddress, Exception exception) =>
            probe.AddThreadException(exception);

        protected override void ShutdownRequest(object request)
        {
            probe.AddShutdown(request);
            base.ShutdownRequest(request);
        }
    }
}
