using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Limits;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>
/// <see cref="BaseServer.ShutdownAsync"/>: stop accepting, close the idle at once, let the in-flight finish, abort
/// what is left when the grace period ends (on a fake clock), and count each.
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class DrainTests
{
    [Fact]
    public void ADrainClosesTheIdleLetsTheInFlightFinishAndAbortsTheStuckOne()
    {
        FileDescriptors.SkipUnlessCountable();
        int before;
        using var proceed = new ManualResetEventSlim();
        var failures = new ConcurrentQueue<Exception>();
        var inHandler = new ConcurrentQueue<string>();
        using (var server = new LimitedServer(() => new GatedLineHandler(proceed, inHandler, failures), limits =>
        {
            limits.FirstUnitTimeout = null;
            limits.MinReceiveRate = null;
        }))
        {
            var runner = new ServerRunner(server);
            // Warm up first: the runtime opens descriptors of its own on first use (the socket engine, timers).
            Assert.Equal("warm\n"u8.ToArray(), Clients.StreamRoundTrip(server.ServerAddress, "warm\n"u8.ToArray(), 5));
            Eventually.True(() => server.Tracker.Count == 0, "the warm-up connection ended");
            before = FileDescriptors.Count();
            using Socket idle = Clients.ConnectStream(server.ServerAddress);
            idle.Send("quick\n"u8);
            Assert.Equal("quick\n"u8.ToArray(), Clients.ReceiveAtLeast(idle, 6));

            using Socket inFlight = Clients.ConnectStream(server.ServerAddress);
            inFlight.Send("wait for me\n"u8);
            Eventually.True(() => inHandler.Contains("wait for me\n"), "the in-flight request is being processed");

            using Socket stuck = Clients.ConnectStream(server.ServerAddress);
            stuck.Send("never fini"u8);

            List<ConnectionState> states = server.WaitForConnections(3);
            Eventually.True(() => states.Count(s => s.IsReading && !s.IsInUnit) == 1, "one connection is idle");
            Eventually.True(() => states.Count(s => s.IsInUnit) == 1, "one connection is mid-line");

            Task<DrainResult> drain = server.ShutdownAsync(TimeSpan.FromSeconds(10));

            // The idle one is closed at once (its handler reads the end of the stream) and no new client is accepted.
            Assert.Equal(0, idle.Receive(new byte[16]));
            Eventually.True(() => !runner.IsServing, "the serve loop returned");
            Assert.False(drain.IsCompleted);

            // The in-flight request finishes and gets its whole reply.
            proceed.Set();
            Assert.Equal("wait for me\n"u8.ToArray(), Clients.ReceiveToEnd(inFlight));
            Eventually.True(() => server.Tracker.Count == 1, "only the stuck connection is left");
            Assert.False(drain.IsCompleted);

            // The grace period ends: the stuck one is aborted and counted.
            server.AdvanceSeconds(10);
            Assert.True(drain.Wait(TestTimeouts.Long), "the drain did not end");
            DrainResult result = drain.Result;
            Assert.Equal(1, result.Completed);
            Assert.Equal(1, result.ClosedIdle);
            Assert.Equal(1, result.Aborted);
            Assert.Equal(TimeSpan.FromSeconds(10), result.Elapsed);
            try
            {
                Assert.Equal(0, stuck.Receive(new byte[16]));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
            }

            var failure = Assert.IsType<ConnectionLimitException>(Assert.Single(failures));
            Assert.Equal("DrainGracePeriod", failure.LimitName);
            Assert.Empty(server.Errors);
            runner.Dispose();
            Assert.Equal(0, server.TrackedThreadCount);
        }

        Assert.InRange(FileDescriptors.Count() - before, int.MinValue, 0);
    }

    [Fact]
    public void ADrainWithNothingInFlightReturnsAtOnce()
    {
        using var server = new LimitedServer(() => new LineEchoStreamHandler(), _ => { });
        using var runner = new ServerRunner(server);
        Task<DrainResult> drain = server.ShutdownAsync(TimeSpan.FromSeconds(30));
        Assert.True(drain.Wait(TestTimeouts.Long));
        Assert.Equal("0 completed, 0 closed idle, 0 aborted", drain.Result.ToString());
        Eventually.True(() => !runner.IsServing, "the serve loop returned");
    }

    [Fact]
    public void ASynchronousServerDrainsTheRequestItIsServing()
    {
        var lines = new ConcurrentQueue<byte[]>();
        var failures = new ConcurrentQueue<Exception>();
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), () => new RecordingLineEchoHandler(lines, failures));
        using var runner = new ServerRunner(server);
        using Socket idle = Clients.ConnectStream(server.ServerAddress);
        idle.Send("hello\n"u8);
        Assert.Equal("hello\n"u8.ToArray(), Clients.ReceiveAtLeast(idle, 6));
        ConnectionState state = Assert.Single(server.Connections.Snapshot());
        Eventually.True(() => state.IsReading, "the handler waits for the next line");

        Task<DrainResult> drain = server.ShutdownAsync(TimeSpan.FromSeconds(30));
        Assert.True(drain.Wait(TestTimeouts.Long));
        Assert.Equal(1, drain.Result.ClosedIdle);
        Assert.Equal(0, drain.Result.Aborted);
        Assert.Equal(0, idle.Receive(new byte[16]));
        Eventually.True(() => !runner.IsServing, "the serve loop returned");
        Assert.Empty(failures);
    }

    [Fact]
    public void CancellingTheTokenAbortsAtOnce()
    {
        using var server = new LimitedServer(() => new LineEchoStreamHandler(), limits => limits.FirstUnitTimeout = null);
        using var runner = new ServerRunner(server);
        using Socket stuck = Clients.ConnectStream(server.ServerAddress);
        stuck.Send("no end"u8);
        ConnectionState state = server.WaitForConnections(1)[0];
        Eventually.True(() => state.IsInUnit, "the partial line arrived");
        using var cancel = new CancellationTokenSource();
        Task<DrainResult> drain = server.ShutdownAsync(TimeSpan.FromHours(1), cancel.Token);
        Assert.False(drain.IsCompleted);
        cancel.Cancel();
        Assert.True(drain.Wait(TestTimeouts.Long));
        Assert.Equal(1, drain.Result.Aborted);
    }

    /// <summary>Reads lines; echoes each only once the test lets it proceed.</summary>
    private sealed class GatedLineHandler(ManualResetEventSlim proceed, ConcurrentQueue<string> seen, ConcurrentQueue<Exception> failures) : StreamRequestHandler
    {
        protected override void Handle()
        {
            try
            {
                byte[] line;
                while ((line = RFile.ReadLine()).Length > 0)
                {
                    string text = System.Text.Encoding.ASCII.GetString(line);
                    seen.Enqueue(text);
                    if (text == "wait for me\n")
                    {
                        Assert.True(proceed.Wait(TestTimeouts.Long));
                    }

                    WFile.Write(line);
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
                throw;
            }
        }
    }
}
