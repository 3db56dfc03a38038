using System.Net;
using System.Net.Sockets;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>SPEC §1.6: ThreadingMixIn's thread per request, daemon flag, blocking close and reaping.</summary>
public sealed class ThreadingTests
{
    private static readonly IPEndPoint s_loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public void FinishedThreadsAreReaped()
    {
        // bpo-37193 (test_threads_reaped): ten sequential requests leave fewer than ten tracked threads.
        var log = new HookLog();
        using var server = new RecordingThreadingTcpServer(log, () => new BaseRequestHandler());
        for (int i = 0; i < 10; i++)
        {
            using Socket client = Clients.ConnectStream(server.ServerAddress);
            server.HandleRequest();
            log.WaitForShutdownRequests(1);
        }

        Assert.True(server.TrackedThreadCount < 10, $"{server.TrackedThreadCount} threads tracked");
        server.ServerClose();
        Assert.Equal(0, server.TrackedThreadCount);
    }

    [Fact]
    public void NothingIsTrackedWithoutBlockOnClose()
    {
        using var release = new ManualResetEventSlim();
        using var server = new ThreadingTcpServer(s_loopback, () => new BlockingHandler(release, null)) { BlockOnClose = false };
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.Equal(0, server.TrackedThreadCount);
        server.ServerClose();
        release.Set();
    }

    [Fact]
    public void DaemonThreadsAreBackgroundThreadsAndAreNotTracked()
    {
        var seen = new TaskCompletionSource<bool>();
        using var server = new ThreadingTcpServer(s_loopback, () => new IsBackgroundHandler(seen)) { DaemonThreads = true };
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.True(seen.Task.Wait(TestTimeouts.Long));
        Assert.True(seen.Task.Result);
        Assert.Equal(0, server.TrackedThreadCount);
    }

    [Fact]
    public void RequestThreadsAreForegroundByDefault()
    {
        var seen = new TaskCompletionSource<bool>();
        using var server = new ThreadingTcpServer(s_loopback, () => new IsBackgroundHandler(seen));
        Assert.False(server.DaemonThreads);
        Assert.True(server.BlockOnClose);
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.True(seen.Task.Wait(TestTimeouts.Long));
        Assert.False(seen.Task.Result);
    }

    [Fact]
    public void BlockingCloseWaitsForABlockedHandler()
    {
        using var release = new ManualResetEventSlim();
        var closeReturned = 0;
        var handlerSawCloseReturned = new TaskCompletionSource<bool>();
        using var server = new ThreadingTcpServer(s_loopback, () => new BlockingHandler(release, () => handlerSawCloseReturned.SetResult(Volatile.Read(ref closeReturned) == 1)));
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        var close = Task.Run(() =>
        {
            server.ServerClose();
            Volatile.Write(ref closeReturned, 1);
        });
        Assert.True(SpinWait.SpinUntil(() => server.IsClosed, TestTimeouts.Long));
        release.Set();
        Assert.True(close.Wait(TestTimeouts.Long));
        Assert.True(handlerSawCloseReturned.Task.IsCompleted, "ServerClose returned before the handler finished");
        Assert.False(handlerSawCloseReturned.Task.Result);
    }

    [Fact]
    public void NonBlockingCloseReturnsWhileAHandlerIsBlocked()
    {
        using var release = new ManualResetEventSlim();
        using var server = new ThreadingTcpServer(s_loopback, () => new BlockingHandler(release, null)) { BlockOnClose = false };
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        // The handler cannot finish before release is set, and we set it only after ServerClose returned.
        Assert.True(Task.Run(server.ServerClose).Wait(TestTimeouts.Long));
        release.Set();
    }

    [Fact]
    public void RequestThreadsAreNamedLikePythons()
    {
        var name = new TaskCompletionSource<string?>();
        using var server = new ThreadingTcpServer(s_loopback, () => new NameHandler(name));
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.Matches(@"^Thread-\d+$", name.Task.WaitAsync(TestTimeouts.Long).Result);
    }

    [Fact]
    public void ManyClientsAtOnceAreServedConcurrently()
    {
        // Ten handlers each wait until all ten are running: only a thread per request can get there.
        using var allStarted = new CountdownEvent(10);
        using var server = new ThreadingTcpServer(s_loopback, () => new RendezvousHandler(allStarted));
        using var runner = new ServerRunner(server);
        var clients = Enumerable.Range(0, 10).Select(_ => Task.Run(() => Clients.StreamRoundTrip(server.ServerAddress, "x"u8.ToArray(), 1))).ToArray();
        Assert.True(Task.WaitAll(clients, TestTimeouts.Long));
        Assert.All(clients, c => Assert.Equal("x"u8.ToArray(), c.Result));
        runner.Stop();
    }

    [Fact]
    public void ServerCloseFromARequestThreadWaitsForTheOthersThenThrowsInsteadOfJoiningItself()
    {
        // CPython's _Threads.join raises "cannot join current thread" there; joining itself would never return, so
        // the request would never be shut down and, with foreground threads, the process could not exit.
        var log = new HookLog();
        using var blocking = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        using var closing = new ManualResetEventSlim();
        int closeThrew = 0;
        var blockerSawCloseThrow = new TaskCompletionSource<bool>();
        RecordingThreadingTcpServer? server = null;
        server = new RecordingThreadingTcpServer(log, () => new CommandHandler(line =>
        {
            if (line == "block")
            {
                blocking.Set();
                release.Wait(TestTimeouts.Long);
                blockerSawCloseThrow.SetResult(Volatile.Read(ref closeThrew) == 1);
                return;
            }

            closing.Set();
            try
            {
                server!.ServerClose();
            }
            catch (InvalidOperationException)
            {
                Volatile.Write(ref closeThrew, 1);
                throw;
            }
        }));
        var loop = new Thread(() => server.ServeForever(TimeSpan.FromMilliseconds(10))) { IsBackground = true };
        loop.Start();
        try
        {
            using Socket blocker = Clients.ConnectStream(server.ServerAddress);
            blocker.Send("block\n"u8);
            Assert.True(blocking.Wait(TestTimeouts.Long));
            using Socket closer = Clients.ConnectStream(server.ServerAddress);
            closer.Send("close\n"u8);
            Assert.True(closing.Wait(TestTimeouts.Long));
            release.Set();

            // The request that called ServerClose goes the ordinary way: HandleError, then ShutdownRequest (EOF).
            Assert.Empty(Clients.ReceiveToEnd(closer));
            Assert.Empty(Clients.ReceiveToEnd(blocker));
            Assert.True(blockerSawCloseThrow.Task.Wait(TestTimeouts.Long));
            Assert.False(blockerSawCloseThrow.Task.Result, "ServerClose threw before the other request thread finished");
            var error = Assert.IsType<InvalidOperationException>(Assert.Single(log.Errors));
            Assert.Contains("request thread", error.Message, StringComparison.Ordinal);
            Assert.True(loop.Join(TestTimeouts.Long), "ServeForever did not return after ServerClose");
        }
        finally
        {
            // From another thread the close waits for the request thread that could not wait for itself, and returns.
            Assert.True(Task.Run(server.ServerClose).Wait(TestTimeouts.Long), "ServerClose from the test thread did not return");
        }

        Assert.Equal(0, server.TrackedThreadCount);
    }

    private sealed class CommandHandler(Action<string> run) : StreamRequestHandler
    {
        protected override void Handle() => run(System.Text.Encoding.ASCII.GetString(RFile.ReadLine()).TrimEnd('\n'));
    }

    private sealed class BlockingHandler(ManualResetEventSlim release, Action? onFinish) : BaseRequestHandler
    {
        protected override void Handle()
        {
            release.Wait(TestTimeouts.Long);
            onFinish?.Invoke();
        }
    }

    private sealed class IsBackgroundHandler(TaskCompletionSource<bool> seen) : BaseRequestHandler
    {
        protected override void Handle() => seen.SetResult(Thread.CurrentThread.IsBackground);
    }

    private sealed class NameHandler(TaskCompletionSource<string?> name) : BaseRequestHandler
    {
        protected override void Handle() => name.SetResult(Thread.CurrentThread.Name);
    }

    private sealed class RendezvousHandler(CountdownEvent allStarted) : StreamRequestHandler
    {
        protected override void Handle()
        {
            allStarted.Signal();
            Assert.True(allStarted.Wait(TestTimeouts.Long));
            WFile.Write(RFile.ReadLine(1));
        }
    }
}
