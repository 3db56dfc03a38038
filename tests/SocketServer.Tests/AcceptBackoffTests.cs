using System.Net;
using System.Net.Sockets;
using SocketServer.Internal;
using SocketServer.Protocols;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>
/// Running out of descriptors (EMFILE) must not make the loop spin on a listening socket that stays readable:
/// it pauses 5 ms, doubling to 1 s, reports once naming the limit, and resumes by itself.
/// </summary>
public sealed class AcceptBackoffTests
{
    private static readonly SocketException s_emfile = new((int)SocketError.TooManyOpenSockets);

    [Fact]
    public void PausesDoubleFromFiveMillisecondsToOneSecond()
    {
        using var log = new LogCapture();
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), () => new EchoStreamHandler()) { LoggerFactory = log.Factory };
        var backoff = new AcceptBackoff(server.Diagnostics);
        Assert.Null(backoff.PendingDelay);
        var delays = new List<double>();
        for (int i = 0; i < 10; i++)
        {
            backoff.Failed(s_emfile);
            delays.Add(backoff.PendingDelay!.Value.TotalMilliseconds);
        }

        Assert.Equal([5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000], delays);
        backoff.Succeeded();
        Assert.Null(backoff.PendingDelay);
    }

    [Fact]
    public void ReportsOnceWhenPausesStartAndOnceWhenAcceptingResumes()
    {
        using var log = new LogCapture();
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), () => new EchoStreamHandler()) { LoggerFactory = log.Factory };
        string address = $"tcp://{server.ServerAddress}";
        var backoff = new AcceptBackoff(server.Diagnostics);
        for (int i = 0; i < 5; i++)
        {
            backoff.Failed(s_emfile);
        }

        backoff.Succeeded();
        string[] lines = [.. log.Records.Select(static r => r.Message)];
        Assert.Equal(2, lines.Length);
        Assert.StartsWith($"{address}: accepting failed: ", lines[0], StringComparison.Ordinal);
        if (OperatingSystem.IsLinux())
        {
            Assert.Matches(@"this process may open \d+ descriptors", lines[0]);
        }

        Assert.Equal($"{address}: accepting again after 5 failures.", lines[1]);
        Assert.Equal([11, 12], log.Records.Select(static r => r.Id.Id));
    }

    [Fact]
    public void TheLoopPausesThroughExhaustionThenServesThePendingClient()
    {
        using var log = new LogCapture();
        using var server = new ExhaustedServer(failures: 3) { LoggerFactory = log.Factory };
        using var runner = new ServerRunner(server, pollInterval: TimeSpan.FromMilliseconds(1));
        // The client waits in the backlog while accepting fails; it is served once accepting works again.
        Assert.Equal("after\n"u8.ToArray(), Clients.StreamRoundTrip(server.ServerAddress, "after\n"u8.ToArray(), 6));
        runner.Stop();
        Assert.Equal(4, server.Attempts);
        Assert.Equal([5.0, 10.0, 20.0], server.Pauses.Select(p => p.TotalMilliseconds));
        string[] lines = [.. log.Records.Where(static r => r.Id.Id is 11 or 12).Select(static r => r.Message)];
        Assert.Equal(2, lines.Length);
        Assert.Contains("again after 3 failures", lines[1], StringComparison.Ordinal);
        Assert.Null(server.PendingAcceptPause);
    }

    private sealed class ExhaustedServer(int failures) : TcpServer(new IPEndPoint(IPAddress.Loopback, 0), () => new EchoStreamHandler())
    {
        private int _attempts;

        public int Attempts => _attempts;

        public List<TimeSpan> Pauses { get; } = [];

        internal override void PauseAccepting(TimeSpan pause, LoopWaker? waker)
        {
            Pauses.Add(pause);
            base.PauseAccepting(pause, waker);
        }

        protected override (object Request, EndPoint? ClientAddress) GetRequest()
        {
            // Out of descriptors: accept(2) fails and the connection stays queued, so the socket stays readable.
            return Interlocked.Increment(ref _attempts) <= failures ? throw s_emfile : base.GetRequest();
        }
    }
}
