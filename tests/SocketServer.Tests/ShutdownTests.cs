using System.Net;
using System.Net.Sockets;
using SocketServer.Internal;
using SocketServer.Protocols;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>SPEC §1.2 and §3: the serve loop's shutdown handshake with all of Python's quirks, and our two fixes.</summary>
public sealed class ShutdownTests
{
    private static readonly IPEndPoint s_loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public void ShutdownRightAfterStartingTheLoopNeverDeadlocks()
    {
        // CPython's test_shutdown (Issue 2302): 20 servers, each stopped at once, maybe before its loop started.
        for (int i = 0; i < 20; i++)
        {
            using var server = new ThreadingTcpServer<EchoStreamHandler>(s_loopback);
            var thread = new Thread(() => server.ServeForever(TimeSpan.FromMilliseconds(10))) { IsBackground = true };
            thread.Start();
            Assert.True(Task.Run(server.Shutdown).Wait(TestTimeouts.Long), "Shutdown deadlocked");
            Assert.True(thread.Join(TestTimeouts.Long));
        }
    }

    [Fact]
    public void ShutdownWakesAnIdleLoopAtOnceEvenWithoutAPollInterval()
    {
        // Python would wait for the next request (gh-88932); with no poll interval, returning at all proves the wake-up.
        using var server = new TcpServer<EchoStreamHandler>(s_loopback);
        var thread = new Thread(() => server.ServeForever(pollInterval: null)) { IsBackground = true };
        thread.Start();
        Assert.True(Task.Run(server.Shutdown).Wait(TestTimeouts.Long), "Shutdown did not wake the loop");
        Assert.True(thread.Join(TestTimeouts.Long));
    }

    [Fact]
    public void ShutdownAfterTheLoopEndedLatchesAndTheNextLoopReturnsAtOnce()
    {
        using var server = new TcpServer<EchoStreamHandler>(s_loopback);
        var runner = new ServerRunner(server);
        Assert.True(Task.Run(server.Shutdown).Wait(TestTimeouts.Long));
        // The loop has returned; this Shutdown returns at once and leaves the request latched.
        Assert.True(Task.Run(server.Shutdown).Wait(TestTimeouts.Long));
        Assert.True(Task.Run(() => server.ServeForever(pollInterval: null)).Wait(TestTimeouts.Long), "latched shutdown did not end the next loop");
        // Once consumed, the latch is gone: the following loop serves until shut down again.
        using var second = new ServerRunner(server);
        Assert.Equal("x"u8.ToArray(), Clients.StreamRoundTrip(server.ServerAddress, "x"u8.ToArray(), 1));
        second.Stop();
        runner.Dispose();
    }

    [Fact]
    public void ShutdownOnTheServingThreadThrowsInsteadOfDeadlocking()
    {
        var log = new HookLog();
        using var server = new RecordingTcpServer(log, () => new ShutdownCallingHandler());
        using var runner = new ServerRunner(server);
        using (Socket client = Clients.ConnectStream(server.ServerAddress))
        {
            log.WaitForShutdownRequests(1);
        }

        var error = Assert.IsType<InvalidOperationException>(Assert.Single(log.Errors));
        Assert.Contains("ServeForever", error.Message, StringComparison.Ordinal);
        runner.Stop();
    }

    [Fact]
    public void ServerCloseDuringServeForeverMakesTheLoopReturn()
    {
        using var server = new TcpServer<EchoStreamHandler>(s_loopback);
        var loop = Task.Run(() => server.ServeForever(pollInterval: null));
        WaitUntilServing(server);
        server.ServerClose();
        Assert.True(loop.Wait(TestTimeouts.Long), "the loop kept running on a closed socket");
        Assert.Equal(-1, server.Fileno());
    }

    [Fact]
    public void NoRequestIsServedOnceShutdownWasRequested()
    {
        // bpo-35017: the loop woke for a pending connection while shutdown was being requested; it must not serve it.
        var handled = 0;
        using var server = new ShutdownDuringWaitServer(() => new CountingHandler(() => Interlocked.Increment(ref handled)));
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        Task? shutdown = null;
        server.AfterWait = () =>
        {
            shutdown = Task.Run(server.Shutdown);
            Assert.True(SpinWait.SpinUntil(() => server.IsShutdownRequested, TestTimeouts.Long));
        };
        server.ServeForever(pollInterval: null);
        Assert.True(shutdown!.Wait(TestTimeouts.Long));
        Assert.True(server.LastWaitWasReady, "the test needs the loop to have seen the pending connection");
        Assert.Equal(0, handled);
    }

    [Fact]
    public void ServiceActionsRunsOnEveryIteration()
    {
        var log = new HookLog();
        using var server = new ServiceCountingServer(log);
        using var runner = new ServerRunner(server, TimeSpan.FromMilliseconds(1));
        Assert.True(server.ThreeIterations.Wait(TestTimeouts.Long));
        runner.Stop();
    }

    [Fact]
    public void DisposeClosesTheServerButDoesNotShutDown()
    {
        TcpServer server;
        using (server = new TcpServer<EchoStreamHandler>(s_loopback))
        {
            Assert.NotEqual(-1, server.Fileno());
        }

        Assert.Equal(-1, server.Fileno());
        server.ServerClose(); // idempotent
    }

    [Fact]
    public void AThreadingServerThatNeverServedClosesCleanly()
    {
        var server = new ThreadingTcpServer<BaseRequestHandler>(s_loopback);
        server.ServerClose();
        Assert.Equal(-1, server.Fileno());
    }

    private static void WaitUntilServing(BaseServer server)
    {
        // The loop is serving once it answers a request; that needs no sleep.
        Assert.Equal("ok"u8.ToArray(), Clients.StreamRoundTrip(server.ServerAddress, "ok"u8.ToArray(), 2));
    }

    private sealed class ShutdownCallingHandler : BaseRequestHandler
    {
        protected override void Handle() => Server.Shutdown();
    }

    private sealed class CountingHandler(Action onHandle) : BaseRequestHandler
    {
        protected override void Handle() => onHandle();
    }

    private sealed class ShutdownDuringWaitServer(Func<BaseRequestHandler> factory) : TcpServer(s_loopback, factory)
    {
        public Action? AfterWait { get; set; }

        public bool LastWaitWasReady { get; private set; }

        internal override bool WaitForRequest(TimeSpan? timeout, LoopWaker? waker)
        {
            // Wait for the pending connection only: the wake-up from Shutdown must not be what makes us return.
            LastWaitWasReady = base.WaitForRequest(timeout, waker: null);
            AfterWait?.Invoke();
            AfterWait = null;
            return LastWaitWasReady;
        }
    }

    private sealed class ServiceCountingServer(HookLog log) : RecordingTcpServer(log, () => new BaseRequestHandler())
    {
        private int _count;

        public ManualResetEventSlim ThreeIterations { get; } = new();

        protected override void ServiceActions()
        {
            if (Interlocked.Increment(ref _count) >= 3)
            {
                ThreeIterations.Set();
            }
        }
    }
}
