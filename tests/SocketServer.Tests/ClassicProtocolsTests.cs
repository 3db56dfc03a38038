using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using SocketServer.Internal.Reactor;
using SocketServer.Protocols;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>
/// The classic services beside echo: discard (RFC 863), chargen (RFC 864), daytime (RFC 867) and time (RFC 868), checked
/// against their RFCs with an independent reading of each, on a fake clock where the answer depends on the time.
/// </summary>
public sealed class ClassicProtocolsTests
{
    [Fact]
    public void ChargenPatternIsTheRfcsRingOfPrintableCharactersInLinesOf72()
    {
        string cycle = Encoding.ASCII.GetString(ChargenPattern.Cycle.Span);
        string[] lines = cycle.Split("\r\n");

        // 95 lines and an empty remainder: the block ends with CR LF, and the next block starts with line 0 again.
        Assert.Equal(96, lines.Length);
        Assert.Equal("", lines[95]);
        const string ring = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
        Assert.Equal(95, ring.Length);
        for (int n = 0; n < 95; n++)
        {
            string expected = string.Concat(Enumerable.Range(0, 72).Select(i => ring[(n + i) % 95]));
            Assert.Equal(expected, lines[n]);
        }

        Assert.Equal(" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg", lines[0]);
        Assert.Equal("~ !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdef", lines[94]);
    }

    [Theory]
    [InlineData("1900-01-01T00:00:00Z", 0u)]
    [InlineData("1970-01-01T00:00:00Z", 2_208_988_800u)]
    [InlineData("2026-12-06T04:45:30Z", 4_005_521_130u)]
    [InlineData("2036-02-07T06:28:15Z", uint.MaxValue)]
    // The 32-bit count runs out here and wraps around: RFC 868's era 1 begins.
    [InlineData("2036-02-07T06:28:16Z", 0u)]
    [InlineData("2036-02-07T06:28:17Z", 1u)]
    public void TimeCountsSecondsSince1900AndWrapsAroundIn2036(string time, uint expected)
    {
        Assert.Equal(expected, TimeProtocol.Seconds(DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void TimeStreamHandlerSendsFourBigEndianBytesOfTheServersClockThenCloses()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2036, 2, 7, 6, 28, 17, TimeSpan.Zero));
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new TimeStreamHandler()) { TimeProvider = clock };
        using var runner = new ServerRunner(server);

        using Socket client = Clients.ConnectStream(server.ServerAddress);
        byte[] reply = Clients.ReceiveToEnd(client);

        Assert.Equal([0, 0, 0, 1], reply);
        runner.Stop();
    }

    [Fact]
    public void DaytimeStreamHandlerSendsTheLocalTimeInCtimeFormatThenCloses()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 4, 45, 30, TimeSpan.Zero));
        clock.SetLocalTimeZone(TimeZoneInfo.CreateCustomTimeZone("UTC+2", TimeSpan.FromHours(2), "UTC+2", "UTC+2"));
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new DaytimeStreamHandler()) { TimeProvider = clock };
        using var runner = new ServerRunner(server);

        using Socket client = Clients.ConnectStream(server.ServerAddress);
        string reply = Encoding.ASCII.GetString(Clients.ReceiveToEnd(client));

        Assert.Equal("Sun Dec  6 06:45:30 2026\r\n", reply);
        runner.Stop();
    }

    [Fact]
    public void TimeAndDaytimeAnswerEveryDatagramWhateverItHolds()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 4, 45, 30, TimeSpan.Zero));
        clock.SetLocalTimeZone(TimeZoneInfo.Utc);
        using var time = new UdpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new TimeDatagramHandler()) { TimeProvider = clock };
        using var daytime = new UdpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new DaytimeDatagramHandler()) { TimeProvider = clock };
        using var timeRunner = new ServerRunner(time);
        using var daytimeRunner = new ServerRunner(daytime);

        byte[] seconds = Clients.DatagramRoundTrip(time.ServerAddress, []);
        Assert.Equal(4_005_521_130u, BinaryPrimitives.ReadUInt32BigEndian(seconds));
        Assert.Equal(4, seconds.Length);
        Assert.Equal("Sun Dec  6 04:45:30 2026\r\n", Encoding.ASCII.GetString(Clients.DatagramRoundTrip(daytime.ServerAddress, "anything"u8.ToArray())));
        timeRunner.Stop();
        daytimeRunner.Stop();
    }

    [Fact]
    public void DiscardDatagramHandlerSendsNoReplyNotEvenAnEmptyOne()
    {
        // The server answers its first datagram with discard and the second with echo. Datagrams between two sockets on
        // loopback arrive in order, so a reply to the first, even an empty one, would come before the echo.
        int served = 0;
        using var server = new UdpServer(
            new IPEndPoint(IPAddress.Loopback, 0),
            () => Interlocked.Increment(ref served) == 1 ? new DiscardDatagramHandler() : new EchoDatagramHandler());
        using var runner = new ServerRunner(server);
        using Socket client = Clients.CreateDatagram(server.ServerAddress);

        client.SendTo("drop me"u8, server.ServerAddress);
        client.SendTo("echo me"u8, server.ServerAddress);
        byte[] buffer = new byte[64];
        int received = client.Receive(buffer);

        Assert.Equal("echo me", Encoding.ASCII.GetString(buffer, 0, received));
        runner.Stop();
    }

    [Fact]
    public void DiscardStreamHandlerReadsEverythingAndSendsNothing()
    {
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new DiscardStreamHandler());
        using var runner = new ServerRunner(server);
        using Socket client = Clients.ConnectStream(server.ServerAddress);

        // More than the socket buffers hold: the handler must read it all for the sends to finish.
        byte[] block = new byte[1 << 20];
        for (int i = 0; i < 8; i++)
        {
            client.Send(block);
        }

        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(Clients.ReceiveToEnd(client));
        runner.Stop();
    }

    [Fact]
    public void ChargenDatagramsAreTheStartOfThePatternAndAtMost512Bytes()
    {
        using var server = new UdpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new ChargenDatagramHandler());
        using var runner = new ServerRunner(server);
        using Socket client = Clients.CreateDatagram(server.ServerAddress);
        byte[] buffer = new byte[2048];
        HashSet<int> lengths = [];

        for (int i = 0; i < 20; i++)
        {
            client.SendTo("x"u8, server.ServerAddress);
            int received = client.Receive(buffer);
            Assert.InRange(received, 0, 512);
            Assert.Equal(ChargenPattern.Cycle.Span[..received], buffer.AsSpan(0, received));
            lengths.Add(received);
        }

        // Drawn anew each time: twenty draws from 513 lengths all alike would be a broken generator (odds 513^-19).
        Assert.True(lengths.Count > 1, "every reply had the same length");
        runner.Stop();
    }

    [Fact]
    public void ChargenStreamHandlerEndsQuietlyWhenTheClientCloses()
    {
        using var server = new ErrorRecordingServer(static () => new ChargenStreamHandler());
        Task served = Task.Run(server.HandleRequest);
        using (Socket client = Clients.ConnectStream(server.ServerAddress))
        {
            AssertPattern(ReceiveExactly(client, 3 * ChargenPattern.Cycle.Length + 100));
        }

        Assert.True(served.Wait(TestTimeouts.Long), "the handler kept writing after the client closed");
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task ChargenStreamHandlerStopsAtADrainWhichCountsItCompleted()
    {
        using var server = new ThreadingTcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new ChargenStreamHandler());
        using var runner = new ServerRunner(server);
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        AssertPattern(ReceiveExactly(client, 1000));

        // The client keeps reading, so the handler is never stuck in a send and sees the drain between two writes.
        Task<byte[]> rest = Task.Run(() => Clients.ReceiveToEnd(client));
        DrainResult result = await server.ShutdownAsync(TimeSpan.FromSeconds(30)).WaitAsync(TestTimeouts.Long, TestContext.Current.CancellationToken);

        Assert.Equal((1, 0, 0), (result.Completed, result.ClosedIdle, result.Aborted));
        Assert.True(rest.Wait(TestTimeouts.Long), "the connection was not closed after the drain");
    }

    [Fact]
    public async Task AsyncChargenOnTheEventLoopsSendsThePatternAndStopsAtADrain()
    {
        Assert.SkipUnless(ReactorNative.IsSupported, "ServeAsync's reactor runs on 64-bit Linux");
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new AsyncChargenStreamHandler()) { AsyncLoopCount = 1 };
        Task serving = server.ServeAsync(TestContext.Current.CancellationToken);
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        AssertPattern(ReceiveExactly(client, 5 * ChargenPattern.Cycle.Length));

        Task<byte[]> rest = Task.Run(() => Clients.ReceiveToEnd(client));
        DrainResult result = await server.ShutdownAsync(TimeSpan.FromSeconds(30)).WaitAsync(TestTimeouts.Long, TestContext.Current.CancellationToken);

        Assert.Equal((1, 0, 0), (result.Completed, result.ClosedIdle, result.Aborted));
        Assert.True(rest.Wait(TestTimeouts.Long), "the connection was not closed after the drain");
        await serving.WaitAsync(TestTimeouts.Long, TestContext.Current.CancellationToken);
    }

    private static byte[] ReceiveExactly(Socket socket, int length)
    {
        byte[] received = new byte[length];
        int at = 0;
        while (at < length)
        {
            int n = socket.Receive(received.AsSpan(at));
            Assert.True(n > 0, $"the server closed after {at} of {length} bytes");
            at += n;
        }

        return received;
    }

    // Any stretch from the start of a chargen stream: the cycle over and over.
    private static void AssertPattern(byte[] received)
    {
        ReadOnlySpan<byte> cycle = ChargenPattern.Cycle.Span;
        for (int i = 0; i < received.Length; i++)
        {
            Assert.True(received[i] == cycle[i % cycle.Length], $"byte {i} is {received[i]}, not {cycle[i % cycle.Length]}");
        }
    }

    /// <summary>A TCP server that records what reaches HandleError instead of printing it.</summary>
    private sealed class ErrorRecordingServer(Func<BaseRequestHandler> handlers) : TcpServer(new IPEndPoint(IPAddress.Loopback, 0), handlers)
    {
        public List<Exception> Errors { get; } = [];

        protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) => Errors.Add(exception);
    }
}
