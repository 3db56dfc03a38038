using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using SocketServer.Internal.Limits;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Async;

/// <summary>
/// <see cref="ServerLimits"/> under <see cref="BaseServer.ServeAsync"/>: the same tracker and heartbeat as the
/// faithful path admit the async connections, and the read helpers and the reactor's flush path feed each
/// connection's state. Time is a fake clock moved by hand; nothing sleeps.
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class AsyncLimitsTests
{
    private readonly ConcurrentQueue<Exception> _failures = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AtMaxConnectionsTheSurplusWaitsAndIsServedWhenASlotFrees(bool portable)
    {
        using var server = Server(limits => limits.MaxConnections = 2, portable);
        Task serving = server.ServeAsync();
        using Socket first = Clients.ConnectStream(server.ServerAddress);
        using Socket second = Clients.ConnectStream(server.ServerAddress);
        RoundTrip(first, "one\n");
        RoundTrip(second, "two\n");

        using Socket third = Clients.ConnectStream(server.ServerAddress);
        third.Send("three\n"u8);
        Eventually.True(() => server.Tracker.AcceptPauseCount == 1, "accepting stopped at the cap");
        Assert.Equal(2, server.Tracker.Count);

        first.Dispose();
        // The freed slot resumes accepting: the waiting client is served.
        Assert.Equal("three\n"u8.ToArray(), Clients.ReceiveAtLeast(third, 6));
        RoundTrip(second, "still served\n");
        Stop(server, serving);
        Assert.Equal(0, server.Tracker.RejectedCount);
        Assert.Contains("MaxConnections (2)", server.LogText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AClientOverItsPerAddressCapIsClosedWithoutData(bool portable)
    {
        using var server = Server(limits => limits.MaxConnectionsPerClient = 1, portable);
        Task serving = server.ServeAsync();
        using Socket first = Clients.ConnectStream(server.ServerAddress);
        RoundTrip(first, "one\n");
        using (Socket surplus = Clients.ConnectStream(server.ServerAddress))
        {
            Assert.Empty(Clients.ReceiveToEnd(surplus));
        }

        Assert.Equal(1, server.Tracker.RejectedCount);
        first.Dispose();
        Eventually.True(() => server.Tracker.Count == 0, "the slot was given back");
        AssertServesAGoodClient(server);
        Stop(server, serving);
        Assert.Contains("MaxConnectionsPerClient (1)", server.LogText, StringComparison.Ordinal);
    }

    /// <summary>
    /// The same for a handler reading with <c>ReadLineAsync</c> and one reading <c>Input</c> itself (seen through the
    /// limits' reader), on the reactor and on the portable transport.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void AnIdleConnectionIsClosedAfterTheIdleTimeoutAndItsHandlerSeesTheEnd(bool readsInputItself, bool portable)
    {
        Action<ServerLimits> configure = limits => limits.IdleTimeout = TimeSpan.FromSeconds(30);
        using var server = readsInputItself ? DirectReaderServer(configure, portable) : Server(configure, portable);
        Task serving = server.ServeAsync();
        using Socket idle = Clients.ConnectStream(server.ServerAddress);
        RoundTrip(idle, "hello\n");
        ConnectionState state = server.WaitForConnections(1)[0];
        Eventually.True(() => state.IsReading, "the handler waits for the next line");
        server.AdvanceSeconds(30);
        Assert.False(state.WasClosedIdle, "closed before the timeout");
        server.AdvanceSeconds(1);
        Assert.True(state.WasClosedIdle);
        Assert.Equal(0, idle.Receive(new byte[16]));
        Eventually.True(() => server.Tracker.Count == 0, "the slot was given back");
        Stop(server, serving);
        Assert.Empty(_failures);
        Assert.Empty(server.Errors);
        Assert.Equal(1, server.Tracker.ClosedIdleCount);
    }

    [Fact]
    public void TheFirstUnitDeadlineIsAbsoluteFromTheAccept()
    {
        using var server = Server(limits =>
        {
            limits.FirstUnitTimeout = TimeSpan.FromSeconds(10);
            limits.MinReceiveRate = null;
        });
        Task serving = server.ServeAsync();
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
        Eventually.True(() => server.Tracker.Count == 0, "the slot was given back");
        AssertServesAGoodClient(server);
        Stop(server, serving);
        AssertLimit("FirstUnitTimeout", server);
    }

    [Fact]
    public void ASlowlorisLineBelowTheMinimumRateIsAbortedAndDescriptorsComeBack()
    {
        FileDescriptors.SkipUnlessCountable();
        int before;
        using (var server = Server(limits =>
        {
            limits.FirstUnitTimeout = null;
            limits.MinReceiveRate = new MinDataRate(240, TimeSpan.FromSeconds(5));
        }))
        {
            Task serving = server.ServeAsync();
            AssertServesAGoodClient(server);
            Eventually.True(() => server.Tracker.Count == 0, "the warm-up connection ended");
            before = FileDescriptors.Count();
            using (Socket slow = Clients.ConnectStream(server.ServerAddress))
            {
                slow.Send("G"u8);
                ConnectionState state = server.WaitForConnections(1)[0];
                Eventually.True(() => state.IsInUnit && state.IsReading, "the handler waits for the rest of the line");
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
            }

            AssertServesAGoodClient(server);
            Eventually.True(() => server.Tracker.Count == 0, "the good client's connection ended");
            Eventually.True(() => FileDescriptors.Count() <= before, "descriptors back to the baseline");
            Stop(server, serving);
            AssertLimit("MinReceiveRate", server);
        }

        Assert.InRange(FileDescriptors.Count() - before, int.MinValue, 0);
    }

    [Fact]
    public void ASynchronousHandlerUnderServeAsyncIsAdmittedAndBoundAsOnAThreadingServer()
    {
        var lines = new ConcurrentQueue<byte[]>();
        using var server = new LimitedServer(() => new RecordingLineEchoHandler(lines, _failures), limits =>
        {
            limits.FirstUnitTimeout = TimeSpan.FromSeconds(10);
            limits.MinReceiveRate = null;
        });
        Task serving = server.ServeAsync();
        using Socket silent = Clients.ConnectStream(server.ServerAddress);
        ConnectionState state = server.WaitForConnections(1)[0];
        Eventually.True(() => state.IsReading, "the handler's thread waits for the first line");
        server.AdvanceSeconds(11);
        Assert.True(state.WasAborted);
        AssertClosedByServer(silent);
        Eventually.True(() => server.Tracker.Count == 0, "the slot was given back");
        var failure = Assert.IsType<ConnectionLimitException>(Assert.Single(_failures));
        Assert.Equal("FirstUnitTimeout", failure.LimitName);
        AssertServesAGoodClient(server);
        Stop(server, serving);
        Assert.Empty(server.Errors);
    }

    [Theory]
    [InlineData("reactor", false)]
    [InlineData("portable", false)]
    [InlineData("io_uring", false)]
    [InlineData("reactor", true)]
    [InlineData("portable", true)]
    [InlineData("io_uring", true)]
    public void AClientThatNeverReadsHasItsStuckOutputAborted(string transport, bool tls)
    {
        using var server = new LimitedServer(() => new AsyncFloodHandler(), limits =>
        {
            limits.MinSendRate = new MinDataRate(240, TimeSpan.FromSeconds(5));
            limits.IdleTimeout = null;
        });
        TestTransports.Use(server, transport);
        if (tls)
        {
            // TLS connections are served over SslStream off the loops on both transports, through their own writer.
            server.Tls = TlsOptions.FromPemFiles(TestCertificates.Shared.CertPath("server"), TestCertificates.Shared.KeyPath("server"));
        }

        Task serving = server.ServeAsync();
        using var reader = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        reader.Connect(server.ServerAddress);
        using Stream stream = tls ? TlsClient(reader) : new NetworkStream(reader, ownsSocket: false);
        stream.Write("flood\n"u8);
        stream.Flush();
        ConnectionState state = server.WaitForConnections(1)[0];
        Eventually.True(() => state.IsWriting, "the output is stuck unsent");

        // Another client is served meanwhile (the flood handler echoes anything but "flood").
        AssertServesAGoodClient(server, tls);
        Eventually.True(() => server.Tracker.Count == 1, "the good client's connection ended");

        // The output pending is bounded by the pipe (64 KiB and the socket's buffers): max(5 s, bytes / 240 B/s). The
        // clock moves on until the rate cuts the connection: "writing" may start before the socket is full (io_uring
        // counts a send from its submission), and each bit of progress restarts the count until it is.
        Eventually.True(
            () =>
            {
                server.AdvanceSeconds(6);
                return state.WasAborted;
            },
            "MinSendRate aborted the connection whose client never reads");
        Eventually.True(() => server.Tracker.Count == 0, "the slot was given back");
        AssertServesAGoodClient(server, tls);
        Stop(server, serving);
        Assert.Empty(server.Errors);
        AssertLimit("MinSendRate", server);
    }

    [Fact]
    public void ReadLineAsyncByDefaultRefusesALineOverTheServersMaxLineLength()
    {
        using var server = Server(limits => limits.MaxLineLength = 1024);
        Task serving = server.ServeAsync();
        using (Socket flood = Clients.ConnectStream(server.ServerAddress))
        {
            flood.Send(Enumerable.Repeat((byte)'A', 4096).ToArray());
            AssertClosedByServer(flood);
        }

        Eventually.True(() => server.Tracker.Count == 0, "the slot was given back");
        var failure = Assert.IsType<ConnectionLimitException>(Assert.Single(_failures));
        Assert.Equal("MaxLineLength", failure.LimitName);
        AssertServesAGoodClient(server);
        Stop(server, serving);
        Assert.Empty(server.Errors);
        Assert.Equal(1, server.Tracker.AbortedCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ADrainClosesTheIdleLetsTheInFlightFinishAbortsTheStuckAndEndsServeAsync(bool portable)
    {
        FileDescriptors.SkipUnlessCountable();
        int before;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new ConcurrentQueue<string>();
        using (var server = new LimitedServer(() => new AsyncGatedLineHandler(gate.Task, seen, _failures), limits =>
        {
            limits.FirstUnitTimeout = null;
            limits.MinReceiveRate = null;
        }))
        {
            server.UsePortableAsyncTransport = portable;
            Task serving = server.ServeAsync();
            AssertServesAGoodClient(server);
            Eventually.True(() => server.Tracker.Count == 0, "the warm-up connection ended");
            before = FileDescriptors.Count();
            using Socket idle = Clients.ConnectStream(server.ServerAddress);
            RoundTrip(idle, "quick\n");

            using Socket inFlight = Clients.ConnectStream(server.ServerAddress);
            inFlight.Send("wait for me\n"u8);
            Eventually.True(() => seen.Contains("wait for me\n"), "the in-flight request is being processed");

            using Socket stuck = Clients.ConnectStream(server.ServerAddress);
            stuck.Send("never fini"u8);
            List<ConnectionState> states = server.WaitForConnections(3);
            Eventually.True(() => states.Count(s => s.IsReading && !s.IsInUnit) == 1, "one connection is idle");
            Eventually.True(() => states.Count(s => s.IsInUnit) == 1, "one connection is mid-line");

            Task<DrainResult> drain = server.ShutdownAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, idle.Receive(new byte[16]));
            Assert.False(drain.IsCompleted);
            Assert.False(serving.IsCompleted);

            gate.SetResult();
            Assert.Equal("wait for me\n"u8.ToArray(), Clients.ReceiveAtLeast(inFlight, 12));
            inFlight.Shutdown(SocketShutdown.Send);
            Assert.Empty(Clients.ReceiveToEnd(inFlight));
            Eventually.True(() => server.Tracker.Count == 1, "only the stuck connection is left");
            Assert.False(drain.IsCompleted);

            server.AdvanceSeconds(10);
            Assert.True(drain.Wait(TestTimeouts.Long), "the drain did not end");
            Assert.True(serving.Wait(TestTimeouts.Long), "ServeAsync did not complete");
            DrainResult result = drain.Result;
            Assert.Equal(1, result.Completed);
            Assert.Equal(1, result.ClosedIdle);
            Assert.Equal(1, result.Aborted);
            AssertClosedByServer(stuck);
            var failure = Assert.IsType<ConnectionLimitException>(Assert.Single(_failures));
            Assert.Equal("DrainGracePeriod", failure.LimitName);
            Assert.Empty(server.Errors);
        }

        Assert.InRange(FileDescriptors.Count() - before, int.MinValue, 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AHandlerReadingInputItselfHasASilentClientCutAtTheFirstUnitDeadline(bool portable)
    {
        using var server = DirectReaderServer(limits =>
        {
            limits.FirstUnitTimeout = TimeSpan.FromSeconds(10);
            limits.IdleTimeout = null;
        }, portable);
        Task serving = server.ServeAsync();
        using Socket silent = Clients.ConnectStream(server.ServerAddress);
        ConnectionState state = server.WaitForConnections(1)[0];
        Eventually.True(() => state.IsReading, "the handler's own ReadAsync waits for the first bytes");
        server.AdvanceSeconds(10);
        Assert.False(state.WasAborted, "aborted before the deadline");
        server.AdvanceSeconds(1);
        Assert.True(state.WasAborted);
        AssertClosedByServer(silent);
        Eventually.True(() => server.Tracker.Count == 0, "the slot was given back");
        var failure = Assert.IsType<ConnectionLimitException>(Assert.Single(_failures));
        Assert.Equal("FirstUnitTimeout", failure.LimitName);
        AssertServesAGoodClient(server);
        Stop(server, serving);
        Assert.Empty(server.Errors);
        AssertLimit("FirstUnitTimeout", server);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ADrainClosesAnIdleHandlerReadingInputItselfAsIdle(bool portable)
    {
        using var server = DirectReaderServer(limits => { }, portable);
        Task serving = server.ServeAsync();
        using Socket idle = Clients.ConnectStream(server.ServerAddress);
        RoundTrip(idle, "quick\n");
        ConnectionState state = server.WaitForConnections(1)[0];
        Eventually.True(() => state.IsReading, "the handler's own ReadAsync waits");

        Task<DrainResult> drain = server.ShutdownAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, idle.Receive(new byte[16]));
        Assert.True(drain.Wait(TestTimeouts.Long), "the drain waited for an idle connection");
        Assert.True(serving.Wait(TestTimeouts.Long), "ServeAsync did not complete");
        Assert.Equal(1, drain.Result.ClosedIdle);
        Assert.Equal(0, drain.Result.Aborted);
        Assert.Empty(_failures);
        Assert.Empty(server.Errors);
    }

    private LimitedServer Server(Action<ServerLimits> configure, bool portable = false) =>
        new(() => new AsyncRecordingLineEchoHandler(_failures), configure) { UsePortableAsyncTransport = portable };

    private LimitedServer DirectReaderServer(Action<ServerLimits> configure, bool portable) =>
        new(() => new AsyncDirectEchoHandler(_failures), configure) { UsePortableAsyncTransport = portable };

    private static void Stop(LimitedServer server, Task serving)
    {
        server.Shutdown();
        Assert.True(serving.Wait(TestTimeouts.Long), "ServeAsync did not complete");
    }

    private static void RoundTrip(Socket socket, string line)
    {
        byte[] bytes = System.Text.Encoding.ASCII.GetBytes(line);
        socket.Send(bytes);
        Assert.Equal(bytes, Clients.ReceiveAtLeast(socket, bytes.Length));
    }

    private static void AssertServesAGoodClient(LimitedServer server, bool tls)
    {
        if (!tls)
        {
            AssertServesAGoodClient(server);
            return;
        }

        using Socket good = Clients.ConnectStream(server.ServerAddress);
        using SslStream stream = TlsClient(good);
        stream.Write("good client\n"u8);
        byte[] reply = new byte[12];
        stream.ReadExactly(reply);
        Assert.Equal("good client\n"u8.ToArray(), reply);
    }

    private static SslStream TlsClient(Socket socket)
    {
        var stream = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false, static (_, certificate, _, _) => certificate?.GetCertHashString() == TestCertificates.Shared.Server.Thumbprint);
        stream.AuthenticateAsClient(new SslClientAuthenticationOptions { TargetHost = "localhost" });
        return stream;
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
            Assert.Empty(Clients.ReceiveToEnd(socket));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }
    }

    private static void AssertLimit(string limitName, LimitedServer server)
    {
        Assert.Equal(1, server.Tracker.AbortedCount);
        Assert.Contains(limitName, server.LogText, StringComparison.Ordinal);
    }

    /// <summary>Echoes what arrives, reading <see cref="AsyncStreamRequestHandler.Input"/> itself (no read helper); records what ended it.</summary>
    private sealed class AsyncDirectEchoHandler(ConcurrentQueue<Exception> failures) : AsyncStreamRequestHandler
    {
        protected override async ValueTask HandleAsync()
        {
            try
            {
                while (true)
                {
                    ReadResult result = await Input.ReadAsync();
                    foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                    {
                        Output.Write(segment.Span);
                    }

                    Input.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted)
                    {
                        return;
                    }

                    await Output.FlushAsync();
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
                throw;
            }
        }
    }

    /// <summary>Echoes lines read with the default <see cref="AsyncStreamRequestHandler.ReadLineAsync"/>; records what ended it.</summary>
    private sealed class AsyncRecordingLineEchoHandler(ConcurrentQueue<Exception> failures) : AsyncStreamRequestHandler
    {
        protected override async ValueTask HandleAsync()
        {
            try
            {
                while (await ReadLineAsync() is { } line)
                {
                    foreach (ReadOnlyMemory<byte> segment in line)
                    {
                        Output.Write(segment.Span);
                    }

                    await Output.FlushAsync();
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
                throw;
            }
        }
    }

    /// <summary>Echoes lines; on "flood" writes 1 KiB blocks until the output is closed.</summary>
    private sealed class AsyncFloodHandler : AsyncStreamRequestHandler
    {
        protected override async ValueTask HandleAsync()
        {
            while (await ReadLineAsync() is { } line)
            {
                if (line.Length == 6 && line.FirstSpan.StartsWith("flood"u8))
                {
                    byte[] block = new byte[1024];
                    while (!(await Output.WriteAsync(block)).IsCompleted && !ConnectionClosed.IsCancellationRequested)
                    {
                    }

                    return;
                }

                foreach (ReadOnlyMemory<byte> segment in line)
                {
                    Output.Write(segment.Span);
                }

                await Output.FlushAsync();
            }
        }
    }

    /// <summary>Echoes lines; "wait for me" only once the gate opens.</summary>
    private sealed class AsyncGatedLineHandler(Task gate, ConcurrentQueue<string> seen, ConcurrentQueue<Exception> failures) : AsyncStreamRequestHandler
    {
        protected override async ValueTask HandleAsync()
        {
            try
            {
                while (await ReadLineAsync() is { } line)
                {
                    string text = System.Text.Encoding.ASCII.GetString(line.ToArray());
                    seen.Enqueue(text);
                    if (text == "wait for me\n")
                    {
                        await gate.WaitAsync(TestTimeouts.Long);
                    }

                    foreach (ReadOnlyMemory<byte> segment in line)
                    {
                        Output.Write(segment.Span);
                    }

                    await Output.FlushAsync();
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
