using System.Collections.Concurrent;
using System.Net.Sockets;
using SocketServer.Internal.Limits;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>
/// The fault matrix of reliability.md section 7 for plain TCP, under <see cref="ServerLimits"/>: each bad peer gets a
/// bounded outcome, everyone else is served, and descriptors and threads come back. Time is a fake clock moved by hand;
/// the heartbeat runs inside each <c>Advance</c>, so nothing here sleeps or measures time.
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class LimitsFaultTests
{
    private readonly ConcurrentQueue<byte[]> _lines = new();
    private readonly ConcurrentQueue<Exception> _failures = new();

    [Fact]
    public void ASlowlorisLineBelowTheMinimumRateIsAbortedAfterTheGracePeriod()
    {
        FileDescriptors.SkipUnlessCountable();
        int before;
        using (var server = Server(limits =>
        {
            limits.FirstUnitTimeout = null;
            limits.MinReceiveRate = new MinDataRate(240, TimeSpan.FromSeconds(5));
        }))
        using (var runner = new ServerRunner(server))
        {
            // Warm up first: the runtime opens descriptors of its own on first use (the socket engine, timers).
            AssertServesAGoodClient(server);
            Eventually.True(() => server.Tracker.Count == 0, "the warm-up connection ended");
            before = FileDescriptors.Count();
            using Socket slow = Clients.ConnectStream(server.ServerAddress);
            slow.Send("G"u8);
            ConnectionState state = server.WaitForConnections(1)[0];
            Eventually.True(() => state.IsInUnit && state.IsReading, "the handler waits for the rest of the line");
            // One byte a second: far below 240 B/s, but nothing happens within the 5-second grace period.
            for (int second = 1; second <= 5; second++)
            {
                server.AdvanceSeconds(1);
                slow.Send("E"u8);
                long expected = second + 1;
                Eventually.True(() => state.UnitBytes == expected || state.WasAborted, $"{expected} bytes of the line arrived");
            }

            Assert.False(state.WasAborted, "aborted within the grace period");
            server.AdvanceSeconds(1);
            Assert.True(state.WasAborted);
            AssertClosedByServer(slow);
            Eventually.True(() => server.Tracker.Count == 0, "the slot was given back");

            AssertServesAGoodClient(server);
            runner.Stop();
            AssertLimit("MinReceiveRate", server);
        }

        Assert.InRange(FileDescriptors.Count() - before, int.MinValue, 0);
    }

    [Fact]
    public void TheFirstUnitDeadlineIsNotResetByEachByteReceived()
    {
        // Kestrel's TimeoutNotResetOnEachRequestLineCharacterReceived.
        using var server = Server(limits =>
        {
            limits.FirstUnitTimeout = TimeSpan.FromSeconds(10);
            limits.MinReceiveRate = null;
        });
        using var runner = new ServerRunner(server);
        using Socket trickle = Clients.ConnectStream(server.ServerAddress);
        ConnectionState state = server.WaitForConnections(1)[0];
        Eventually.True(() => state.IsReading, "the handler waits for the first line");
        for (int second = 1; second <= 10; second++)
        {
            trickle.Send("x"u8);
            long expected = second;
            Eventually.True(() => state.UnitBytes == expected || (second == 1 && state.IsInUnit), $"byte {expected} arrived");
            server.AdvanceSeconds(1);
        }

        Assert.False(state.WasAborted, "aborted before the deadline");
        trickle.Send("x"u8);
        Eventually.True(() => state.UnitBytes == 11, "byte 11 arrived");
        server.AdvanceSeconds(1);
        Assert.True(state.WasAborted, "a byte every second must not push the deadline back");
        AssertClosedByServer(trickle);
        AssertServesAGoodClient(server);
        runner.Stop();
        AssertLimit("FirstUnitTimeout", server);
        Assert.Equal(["good client\n"], _lines.Select(System.Text.Encoding.ASCII.GetString));
    }

    [Fact]
    public void AnIdleConnectionIsClosedAfterTheIdleTimeoutAndItsHandlerEndsNormally()
    {
        using var server = Server(limits => limits.IdleTimeout = TimeSpan.FromSeconds(30));
        using var runner = new ServerRunner(server);
        using Socket idle = Clients.ConnectStream(server.ServerAddress);
        idle.Send("hello\n"u8);
        Assert.Equal("hello\n"u8.ToArray(), Clients.ReceiveAtLeast(idle, 6));
        ConnectionState state = server.WaitForConnections(1)[0];
        Eventually.True(() => state.IsReading, "the handler waits for the next line");
        server.AdvanceSeconds(30);
        Assert.False(state.WasClosedIdle, "closed before the timeout");
        server.AdvanceSeconds(1);
        Assert.True(state.WasClosedIdle);
        // The handler read the end of the stream, so the server closed the connection the ordinary way (FIN).
        Assert.Equal(0, idle.Receive(new byte[16]));
        Eventually.True(() => server.Tracker.Count == 0, "the slot was given back");
        runner.Stop();
        Assert.Empty(_failures);
        Assert.Empty(server.Errors);
        Assert.Equal(1, server.Tracker.ClosedIdleCount);
        Assert.Contains("IdleTimeout", server.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOversizedLineIsRefusedWithoutGivingTheHandlerAnyPartOfIt()
    {
        FileDescriptors.SkipUnlessCountable();
        int before;
        using (var server = Server(limits => limits.MaxLineLength = 1024))
        using (var runner = new ServerRunner(server))
        {
            AssertServesAGoodClient(server);
            Eventually.True(() => server.Tracker.Count == 0, "the warm-up connection ended");
            before = FileDescriptors.Count();
            using (Socket flood = Clients.ConnectStream(server.ServerAddress))
            {
                // 1 MB with no newline; the server stops reading, so the send may fail once it closes.
                Task send = Task.Run(() =>
                {
                    try
                    {
                        flood.Send(Enumerable.Repeat((byte)'A', 1024 * 1024).ToArray());
                    }
                    catch (SocketException)
                    {
                    }
                });
                Eventually.True(() => !_failures.IsEmpty, "the handler's ReadLine failed");
                AssertClosedByServer(flood);
                Assert.True(send.Wait(TestTimeouts.Long));
            }

            var failure = Assert.IsType<ConnectionLimitException>(Assert.Single(_failures));
            Assert.Equal("MaxLineLength", failure.LimitName);
            Assert.Contains("1024 bytes", failure.Message, StringComparison.Ordinal);
            Assert.Equal(["good client\n"], _lines.Select(System.Text.Encoding.ASCII.GetString));
            Eventually.True(() => server.Tracker.Count == 0, "the slot was given back");
            AssertServesAGoodClient(server);
            runner.Stop();
            Assert.Empty(server.Errors);
            Assert.Contains("MaxLineLength", server.LogText, StringComparison.Ordinal);
        }

        Assert.InRange(FileDescriptors.Count() - before, int.MinValue, 0);
    }

    [Fact]
    public void AtMaxConnectionsTheSurplusWaitsInTheBacklogAndIsServedWhenASlotFrees()
    {
        using var server = Server(limits => limits.MaxConnections = 2);
        using var runner = new ServerRunner(server);
        using Socket first = Clients.ConnectStream(server.ServerAddress);
        using Socket second = Clients.ConnectStream(server.ServerAddress);
        RoundTrip(first, "one\n");
        RoundTrip(second, "two\n");
        Eventually.True(() => server.Tracker.AcceptPauseCount == 1, "the loop stopped accepting");

        using Socket third = Clients.ConnectStream(server.ServerAddress);
        third.Send("three\n"u8);
        Assert.Equal(2, server.Tracker.Count);
        Assert.Equal(1, server.Tracker.AcceptPauseCount);

        first.Dispose();
        // The freed slot wakes the loop, which accepts the waiting client.
        Assert.Equal("three\n"u8.ToArray(), Clients.ReceiveAtLeast(third, 6));
        RoundTrip(second, "still served\n");
        second.Dispose();
        third.Dispose();
        runner.Stop();
        Assert.Equal(0, server.Tracker.RejectedCount);
        Assert.Contains("MaxConnections (2)", server.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public void AClientOverItsPerAddressCapIsClosedWithoutData()
    {
        using var server = Server(limits => limits.MaxConnectionsPerClient = 2);
        using var runner = new ServerRunner(server);
        using Socket first = Clients.ConnectStream(server.ServerAddress);
        using Socket second = Clients.ConnectStream(server.ServerAddress);
        RoundTrip(first, "one\n");
        RoundTrip(second, "two\n");

        using (Socket surplus = Clients.ConnectStream(server.ServerAddress))
        {
            Assert.Empty(Clients.ReceiveToEnd(surplus));
        }

        Assert.Equal(1, server.Tracker.RejectedCount);
        first.Dispose();
        Eventually.True(() => server.Tracker.Count == 1, "the slot was given back");
        using Socket again = Clients.ConnectStream(server.ServerAddress);
        RoundTrip(again, "again\n");
        RoundTrip(second, "still served\n");
        second.Dispose();
        again.Dispose();
        runner.Stop();
        Assert.Contains("MaxConnectionsPerClient (2)", server.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public void AClientThatNeverReadsCannotHoldAHandlerInAWriteForEver()
    {
        var failures = new ConcurrentQueue<Exception>();
        using var server = new LimitedServer(() => new FloodOnRequestHandler(failures), limits =>
        {
            limits.MinSendRate = new MinDataRate(240, TimeSpan.FromSeconds(5));
            limits.IdleTimeout = null;
        });
        using var runner = new ServerRunner(server);
        using var reader = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        reader.Connect(server.ServerAddress);
        reader.Send("flood\n"u8);
        ConnectionState state = server.WaitForConnections(1)[0];

        // Another client is served while the flood goes on.
        using (Socket good = Clients.ConnectStream(server.ServerAddress))
        {
            RoundTrip(good, "good client\n");
        }

        // Its request must be over before the clock moves, or the limits could cut it too (counted as a second abort).
        Eventually.True(() => server.Tracker.Count == 1, "the good client's slot was given back");

        // Writes of 1 KiB get max(5 s, 1024 / 240 s) each; the flood fills the buffers, then a write blocks.
        for (int i = 0; i < 1000 && !state.WasAborted; i++)
        {
            Eventually.True(() => state.IsWriting || state.WasAborted, "the handler is writing");
            server.AdvanceSeconds(6);
        }

        Assert.True(state.WasAborted);
        Eventually.True(() => !failures.IsEmpty, "the handler's write failed");
        var failure = Assert.IsType<ConnectionLimitException>(Assert.Single(failures));
        Assert.Equal("MinSendRate", failure.LimitName);
        Eventually.True(() => server.Tracker.Count == 0, "the slot was given back");
        AssertServesAGoodClient(server);
        runner.Stop();
        Assert.Empty(server.Errors);
        Assert.Equal(1, server.Tracker.AbortedCount);
        Assert.Contains("MinSendRate", server.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public void AnIdleUnixSocketConnectionIsClosedAfterTheIdleTimeout()
    {
        using var directory = new TempDirectory();
        using var server = new ThreadingUnixStreamServer(directory.NewSocketPath("idle"), () => new RecordingLineEchoHandler(_lines, _failures));
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        server.TimeProvider = clock;
        server.Limits.IdleTimeout = TimeSpan.FromSeconds(30);
        using var runner = new ServerRunner(server);
        using Socket idle = Clients.ConnectStream(server.ServerAddress);
        RoundTrip(idle, "hello\n");
        Eventually.True(() => server.Connections.Snapshot() is [{ IsReading: true }], "the handler waits for the next line");
        clock.Advance(TimeSpan.FromSeconds(31));
        // One sweep saw 31 s of silence: the handler read the end of the stream and the server closed.
        Assert.Equal(0, idle.Receive(new byte[16]));
        Eventually.True(() => server.Connections.Count == 0, "the slot was given back");
        runner.Stop();
        Assert.Empty(_failures);
        Assert.Equal(1, server.Connections.ClosedIdleCount);
    }

    [Fact]
    public void AResetUnderLimitsIsAnOrdinaryRequestErrorAndGivesTheSlotBack()
    {
        using var server = Server(_ => { });
        using var runner = new ServerRunner(server);
        using (Socket bad = Clients.ConnectStream(server.ServerAddress))
        {
            bad.Send("half a li"u8);
            ConnectionState state = server.WaitForConnections(1)[0];
            Eventually.True(() => state.IsInUnit, "the partial line arrived");
            bad.LingerState = new LingerOption(true, 0);
        }

        Eventually.True(() => server.Tracker.Count == 0, "the slot was given back");
        AssertServesAGoodClient(server);
        runner.Stop();
        // Not a limit: Python's behaviour, the reset reaches HandleError as an IOException.
        var error = Assert.IsType<IOException>(Assert.Single(server.Errors));
        Assert.IsNotType<ConnectionLimitException>(error);
        Assert.Equal(0, server.Tracker.AbortedCount);
    }

    [Fact]
    public void AHalfClosedClientStillGetsItsReply()
    {
        using var server = Server(_ => { });
        using var runner = new ServerRunner(server);
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        client.Send("last words\n"u8);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal("last words\n"u8.ToArray(), Clients.ReceiveToEnd(client));
        Eventually.True(() => server.Tracker.Count == 0, "the slot was given back");
        runner.Stop();
        Assert.Empty(_failures);
        Assert.Empty(server.Errors);
    }

    private LimitedServer Server(Action<ServerLimits> configure) =>
        new(() => new RecordingLineEchoHandler(_lines, _failures), configure);

    private static void RoundTrip(Socket socket, string line)
    {
        byte[] bytes = System.Text.Encoding.ASCII.GetBytes(line);
        socket.Send(bytes);
        Assert.Equal(bytes, Clients.ReceiveAtLeast(socket, bytes.Length));
    }

    private static void AssertServesAGoodClient(LimitedServer server)
    {
        using Socket good = Clients.ConnectStream(server.ServerAddress);
        RoundTrip(good, "good client\n");
    }

    /// <summary>The server ended the connection: the client reads the end of the stream or a reset, never data.</summary>
    private static void AssertClosedByServer(Socket socket)
    {
        try
        {
            Assert.Equal(0, socket.Receive(new byte[16]));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }
    }

    private void AssertLimit(string limitName, LimitedServer server)
    {
        var failure = Assert.IsType<ConnectionLimitException>(Assert.Single(_failures));
        Assert.Equal(limitName, failure.LimitName);
        Assert.Contains(limitName, failure.Message, StringComparison.Ordinal);
        Assert.Contains(limitName, server.LogText, StringComparison.Ordinal);
        Assert.Empty(server.Errors);
        Assert.Equal(1, server.Tracker.AbortedCount);
    }

    /// <summary>Echoes one line, except "flood": then writes 1 KiB at a time until a write fails, and records the failure.</summary>
    private sealed class FloodOnRequestHandler(ConcurrentQueue<Exception> failures) : StreamRequestHandler
    {
        protected override void Handle()
        {
            byte[] request = RFile.ReadLine();
            if (!request.AsSpan().SequenceEqual("flood\n"u8))
            {
                WFile.Write(request);
                return;
            }

            byte[] chunk = new byte[1024];
            try
            {
                while (true)
                {
                    WFile.Write(chunk);
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
