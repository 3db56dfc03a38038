using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>
/// Parked request threads (<see cref="ThreadingTcpServer.MaxIdleThreads"/>): a request on a reused thread sees what
/// it would on a new one (name, daemon flag, execution context), the thread-exception and close semantics of SPEC
/// §1.6 hold, and parked threads end on close and after their idle timeout.
/// </summary>
public sealed class ThreadingReuseTests
{
    private static readonly IPEndPoint s_loopback = new(IPAddress.Loopback, 0);
    private static readonly AsyncLocal<string?> s_flowed = new();

    [Fact]
    public void AReusedThreadTakesTheNameAndDaemonFlagOfEachRequest()
    {
        var probe = new Probe();
        using var server = new ThreadingTcpServer(s_loopback, () => new ProbeHandler(probe));
        var first = Serve(server, probe, Observe);
        WaitUntilParked(server, 1);
        server.DaemonThreads = true;
        var second = Serve(server, probe, Observe);
        WaitUntilParked(server, 1);
        server.DaemonThreads = false;
        var third = Serve(server, probe, Observe);

        Assert.Same(first.Thread, second.Thread);
        Assert.Same(first.Thread, third.Thread);
        Assert.Matches(@"^Thread-\d+$", first.Name);
        Assert.Matches(@"^Thread-\d+$", second.Name);
        Assert.True(Number(second.Name) > Number(first.Name), $"{second.Name} after {first.Name}");
        Assert.True(Number(third.Name) > Number(second.Name), $"{third.Name} after {second.Name}");
        Assert.False(first.IsBackground);
        Assert.True(second.IsBackground);
        Assert.False(third.IsBackground);
    }

    [Fact]
    public void WithNoIdleThreadsEveryRequestGetsANewThreadThatEnds()
    {
        var probe = new Probe();
        using var server = new ThreadingTcpServer(s_loopback, () => new ProbeHandler(probe)) { MaxIdleThreads = 0 };
        var first = Serve(server, probe, Observe);
        Assert.True(first.Thread.Join(TestTimeouts.Long), "the request thread did not end");
        var second = Serve(server, probe, Observe);
        Assert.NotSame(first.Thread, second.Thread);
        Assert.Equal(0, server.ParkedThreadCount);
    }

    [Fact]
    public void NothingARequestSetsOnItsThreadReachesTheNext()
    {
        var probe = new Probe();
        using var server = new ThreadingTcpServer(s_loopback, () => new ProbeHandler(probe)) { DaemonThreads = true };
        CultureInfo serverCulture = CultureInfo.CurrentCulture;
        var first = Serve(server, probe, () =>
        {
            s_flowed.Value = "set by the first request";
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("fr-FR");
            CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("fr-FR");
            SynchronizationContext.SetSynchronizationContext(new SynchronizationContext());
            Thread.CurrentThread.Priority = ThreadPriority.BelowNormal;
            return Thread.CurrentThread;
        });
        WaitUntilParked(server, 1);
        var second = Serve(server, probe, () => (
            Thread: Thread.CurrentThread,
            Flowed: s_flowed.Value,
            Culture: CultureInfo.CurrentCulture,
            SyncContext: SynchronizationContext.Current,
            Priority: Thread.CurrentThread.Priority));

        Assert.Same(first, second.Thread);
        Assert.Null(second.Flowed);
        Assert.Equal(serverCulture, second.Culture);
        Assert.Null(second.SyncContext);
        Assert.Equal(ThreadPriority.Normal, second.Priority);
    }

    [Fact]
    public void ARequestSeesTheExecutionContextOfTheThreadThatDispatchedIt()
    {
        // What Thread.Start flows into a new thread: AsyncLocal values of the serve loop's thread.
        var probe = new Probe();
        using var server = new ThreadingTcpServer(s_loopback, () => new ProbeHandler(probe)) { DaemonThreads = true };
        s_flowed.Value = "first";
        var first = Serve(server, probe, () => (Thread: Thread.CurrentThread, Flowed: s_flowed.Value));
        WaitUntilParked(server, 1);
        s_flowed.Value = "second";
        var second = Serve(server, probe, () => (Thread: Thread.CurrentThread, Flowed: s_flowed.Value));

        Assert.Same(first.Thread, second.Thread);
        Assert.Equal("first", first.Flowed);
        Assert.Equal("second", second.Flowed);
    }

    [Fact]
    public void WhatEscapesARequestOnAReusedThreadGoesToHandleThreadException()
    {
        var log = new HookLog();
        var probe = new Probe();
        using var server = new RecordingThreadingTcpServer(log, () => new ProbeHandler(probe));
        Thread first = Serve(server, probe, () => Thread.CurrentThread);
        log.WaitForShutdownRequests(1);
        WaitUntilParked(server, 1);

        probe.OnHandle = () => throw new ServerExitException("exit from a reused thread");
        using (Socket client = Clients.ConnectStream(server.ServerAddress))
        {
            server.HandleRequest();
            log.WaitForShutdownRequests(1);
        }

        Assert.True(SpinWait.SpinUntil(() => log.ThreadExceptions.Count == 1, TestTimeouts.Long));
        Assert.IsType<ServerExitException>(Assert.Single(log.ThreadExceptions));
        Assert.Empty(log.Errors);
        WaitUntilParked(server, 1);
        Assert.Same(first, Serve(server, probe, () => Thread.CurrentThread));
    }

    [Fact]
    public void BlockingCloseWaitsForARequestOnAReusedThreadAndEndsTheParkedOnes()
    {
        var probe = new Probe();
        using var server = new ThreadingTcpServer(s_loopback, () => new ProbeHandler(probe)) { MaxIdleThreads = 4 };
        Assert.False(server.DaemonThreads);
        Assert.True(server.BlockOnClose);

        // Two threads parked: one is reused by the blocked request, the other stays parked.
        using var bothRunning = new CountdownEvent(2);
        using var releaseBoth = new ManualResetEventSlim();
        var threads = new Thread[2];
        int next = -1;
        probe.OnHandle = () =>
        {
            threads[Interlocked.Increment(ref next)] = Thread.CurrentThread;
            bothRunning.Signal();
            releaseBoth.Wait(TestTimeouts.Long);
        };
        using (Socket a = Clients.ConnectStream(server.ServerAddress))
        using (Socket b = Clients.ConnectStream(server.ServerAddress))
        {
            server.HandleRequest();
            server.HandleRequest();
            Assert.True(bothRunning.Wait(TestTimeouts.Long));
            releaseBoth.Set();
        }

        WaitUntilParked(server, 2);
        using var blocking = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        int closeReturned = 0;
        var handlerSawCloseReturned = new TaskCompletionSource<bool>();
        Thread? blocked = null;
        probe.OnHandle = () =>
        {
            blocked = Thread.CurrentThread;
            blocking.Set();
            release.Wait(TestTimeouts.Long);
            handlerSawCloseReturned.SetResult(Volatile.Read(ref closeReturned) == 1);
        };
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.True(blocking.Wait(TestTimeouts.Long));
        Assert.Contains(blocked, threads);
        Thread parked = threads.Single(t => t != blocked);

        var close = Task.Run(() =>
        {
            server.ServerClose();
            Volatile.Write(ref closeReturned, 1);
        });
        Assert.True(SpinWait.SpinUntil(() => server.IsClosed, TestTimeouts.Long));
        release.Set();
        Assert.True(close.Wait(TestTimeouts.Long), "ServerClose did not return");
        Assert.True(handlerSawCloseReturned.Task.IsCompleted, "ServerClose returned before the request ended");
        Assert.False(handlerSawCloseReturned.Task.Result);
        Assert.False(parked.IsAlive, "a parked thread outlived ServerClose");
        Assert.True(blocked!.Join(TestTimeouts.Long), "the request thread did not end after the server closed");
        Assert.Equal(0, server.ParkedThreadCount);
        Assert.Equal(0, server.TrackedThreadCount);
    }

    [Fact]
    public void ServerCloseFromAReusedRequestThreadThrowsInsteadOfJoiningItself()
    {
        var log = new HookLog();
        var probe = new Probe();
        RecordingThreadingTcpServer? server = null;
        server = new RecordingThreadingTcpServer(log, () => new ProbeHandler(probe));
        try
        {
            Thread first = Serve(server, probe, () => Thread.CurrentThread);
            log.WaitForShutdownRequests(1);
            WaitUntilParked(server, 1);
            Thread? closer = null;
            probe.OnHandle = () =>
            {
                closer = Thread.CurrentThread;
                server.ServerClose();
            };
            using (Socket client = Clients.ConnectStream(server.ServerAddress))
            {
                server.HandleRequest();
                log.WaitForShutdownRequests(1);
            }

            Assert.Same(first, closer);
            var error = Assert.IsType<InvalidOperationException>(Assert.Single(log.Errors));
            Assert.Contains("request thread", error.Message, StringComparison.Ordinal);
            Assert.True(first.Join(TestTimeouts.Long), "the request thread did not end after its server closed");
        }
        finally
        {
            Assert.True(Task.Run(server.ServerClose).Wait(TestTimeouts.Long), "ServerClose from the test thread did not return");
        }

        Assert.Equal(0, server.TrackedThreadCount);
    }

    [Fact]
    public void AParkedThreadEndsAfterItsIdleTimeout()
    {
        var probe = new Probe();
        using var server = new ThreadingTcpServer(s_loopback, () => new ProbeHandler(probe))
        {
            DaemonThreads = true,
            ParkedThreadIdleTimeout = TimeSpan.FromMilliseconds(50),
        };
        Thread thread = Serve(server, probe, () => Thread.CurrentThread);
        Assert.True(thread.Join(TestTimeouts.Long), "the parked thread did not end after its idle timeout");
        Assert.Equal(0, server.ParkedThreadCount);

        // The next request gets a new thread, which parks in turn.
        Assert.NotSame(thread, Serve(server, probe, () => Thread.CurrentThread));
    }

    [Fact]
    public void NoMoreThanMaxIdleThreadsAreParked()
    {
        var probe = new Probe();
        using var server = new ThreadingTcpServer(s_loopback, () => new ProbeHandler(probe)) { DaemonThreads = true, MaxIdleThreads = 2 };
        using var allRunning = new CountdownEvent(4);
        using var release = new ManualResetEventSlim();
        var threads = new Thread[4];
        int next = -1;
        probe.OnHandle = () =>
        {
            threads[Interlocked.Increment(ref next)] = Thread.CurrentThread;
            allRunning.Signal();
            release.Wait(TestTimeouts.Long);
        };
        var clients = Enumerable.Range(0, 4).Select(_ => Clients.ConnectStream(server.ServerAddress)).ToArray();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                server.HandleRequest();
            }

            Assert.True(allRunning.Wait(TestTimeouts.Long));
            release.Set();
            // Two of the four park; the other two end.
            Assert.True(SpinWait.SpinUntil(() => threads.Count(t => t.IsAlive) == 2, TestTimeouts.Long));
            Assert.Equal(2, server.ParkedThreadCount);
        }
        finally
        {
            foreach (Socket client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static (Thread Thread, string? Name, bool IsBackground) Observe() =>
        (Thread.CurrentThread, Thread.CurrentThread.Name, Thread.CurrentThread.IsBackground);

    private static int Number(string? name) => int.Parse(name!["Thread-".Length..], CultureInfo.InvariantCulture);

    /// <summary>Serves one connection with <paramref name="inHandler"/> run in the handler, and returns what it returned.</summary>
    private static T Serve<T>(ThreadingTcpServer server, Probe probe, Func<T> inHandler)
    {
        var seen = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        probe.OnHandle = () => seen.SetResult(inHandler());
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.True(seen.Task.Wait(TestTimeouts.Long), "the handler did not run");
        return seen.Task.Result;
    }

    private static void WaitUntilParked(ThreadingTcpServer server, int count) =>
        Assert.True(SpinWait.SpinUntil(() => server.ParkedThreadCount == count, TestTimeouts.Long), $"{server.ParkedThreadCount} threads parked, not {count}");

    private sealed class Probe
    {
        public Action? OnHandle { get; set; }
    }

    private sealed class ProbeHandler(Probe probe) : BaseRequestHandler
    {
        protected override void Handle() => probe.OnHandle?.Invoke();
    }
}
