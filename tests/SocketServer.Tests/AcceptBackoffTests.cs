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
        var backoff = new AcceptBackoff(TextWriter.Null);
        Assert.Null(backoff.PendingDelay);
        var delays = new List<double>();
        for (int i = 0; i < 10; i++)
        {
            backoff.Failed("tcp://127.0.0.1:1", s_emfile);
            delays.Add(backoff.PendingDelay!.Value.TotalMilliseconds);
        }

        Assert.Equal([5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000], delays);
        backoff.Succeeded("tcp://127.0.0.1:1");
        Assert.Null(backoff.PendingDelay);
    }

    [Fact]
    public void ReportsOnceWhenPausesStartAndOnceWhenAcceptingResumes()
    {
        var report = new StringWriter();
        var backoff = new AcceptBackoff(report);
        for (int i = 0; i < 5; i++)
        {
            backoff.Failed("tcp://127.0.0.1:1", s_emfile);
        }

        backoff.Succeeded("tcp://127.0.0.1:1");
        string[] lines = report.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("socketserver: accepting on tcp://127.0.0.1:1 failed: ", lines[0], StringComparison.Ordinal);
        if (OperatingSystem.IsLinux())
        {
            Assert.Matches(@"this process may open \d+ descriptors", lines[0]);
        }

        Assert.Equal("socketserver: accepting on tcp://127.0.0.1:1 again after 5 failures.", lines[1]);
    }

    [Fact]
    public void TheLoopPausesThroughExhaustionThenServesThePendingClient()
    {
        var report = new StringWriter();
        using var server = new ExhaustedServer(failures: 3) { DiagnosticsWriter = report };
        using var runner = new ServerRunner(server, pollInterval: TimeSpan.FromMilliseconds(1));
        // The client waits in the backlog while accepting fails; it is served once accepting works again.
        Assert.Equal("after\n"u8.ToArray(), Clients.StreamRoundTrip(server.ServerAddress, "after\n"u8.ToArray(), 6));
        runner.Stop();
        Assert.Equal(4, server.Attempts);
        Assert.Equal([5.0, 10.0, 20.0], server.Pauses.Select(p => p.TotalMilliseconds));
        string[] lines = report.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
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
