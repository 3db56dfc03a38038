using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using SocketServer.Internal.Limits;

namespace SocketServer.Tests.Infrastructure;

/// <summary>
/// A threading TCP server on loopback with a fake clock, limits set by the test, its log captured, and every
/// exception that reaches <see cref="BaseServer.HandleError"/> recorded.
/// </summary>
internal sealed class LimitedServer : ThreadingTcpServer
{
    private readonly LogCapture _log = new();
    private readonly ConcurrentQueue<Exception> _errors = new();

    public LimitedServer(Func<BaseRequestHandler> factory, Action<ServerLimits> configure)
        : base(new IPEndPoint(IPAddress.Loopback, 0), factory)
    {
        TimeProvider = Clock;
        configure(Limits);
        LoggerFactory = _log.Factory;
    }

    public FakeTimeProvider Clock { get; } = new();

    /// <summary>What the server logged (the limits' reports), one message a line.</summary>
    public string LogText => _log.Text;

    /// <summary>The server's log records.</summary>
    public LogCapture Log => _log;

    public IReadOnlyList<Exception> Errors => [.. _errors];

    public ConnectionTracker Tracker => Connections;

    /// <summary>Waits until exactly <paramref name="count"/> connections are open and returns them.</summary>
    public List<ConnectionState> WaitForConnections(int count)
    {
        Eventually.True(() => Connections.Count == count, $"{count} open connections (there are {Connections.Count})");
        return Connections.Snapshot();
    }

    /// <summary>Moves the fake clock on one heartbeat at a time, so each interval gets its sweep.</summary>
    public void AdvanceSeconds(int seconds)
    {
        for (int i = 0; i < seconds; i++)
        {
            Clock.Advance(TimeSpan.FromSeconds(1));
        }
    }

    protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) => _errors.Enqueue(exception);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _log.Dispose();
        }
    }
}

/// <summary>Bounded waits for a condition another thread makes true.</summary>
internal static class Eventually
{
    public static void True(Func<bool> condition, string what) =>
        Assert.True(SpinWait.SpinUntil(condition, TestTimeouts.Long), $"Timed out waiting for: {what}");
}

/// <summary>
/// Echoes lines until the end of the stream; records what it read and the exception that ended it, if any.
/// </summary>
internal sealed class RecordingLineEchoHandler(ConcurrentQueue<byte[]> lines, ConcurrentQueue<Exception> failures) : StreamRequestHandler
{
    protected override void Handle()
    {
        try
        {
            byte[] line;
            while ((line = RFile.ReadLine()).Length > 0)
            {
                lines.Enqueue(line);
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
