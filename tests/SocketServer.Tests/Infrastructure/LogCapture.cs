using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace SocketServer.Tests.Infrastructure;

/// <summary>
/// A real <see cref="ILoggerFactory"/> whose loggers collect every record, at every level, for a test to read: give
/// <see cref="Factory"/> to a server's <see cref="BaseServer.LoggerFactory"/>.
/// </summary>
internal sealed class LogCapture : IDisposable
{
    private readonly FakeLoggerProvider _provider;

    public LogCapture()
    {
        _provider = new FakeLoggerProvider(Collector);
        Factory = new LoggerFactory([_provider], new LoggerFilterOptions { MinLevel = LogLevel.Trace });
    }

    public FakeLogCollector Collector { get; } = new();

    public ILoggerFactory Factory { get; }

    /// <summary>Every record so far, in order.</summary>
    public IReadOnlyList<FakeLogRecord> Records => Collector.GetSnapshot();

    /// <summary>Every message so far, one a line, as the standard-error writer used to receive them.</summary>
    public string Text => string.Join('\n', Records.Select(static record => record.Message));

    /// <summary>The records of event <paramref name="id"/>.</summary>
    public List<FakeLogRecord> OfEvent(int id) => [.. Records.Where(record => record.Id.Id == id)];

    /// <summary>Waits (bounded) until event <paramref name="id"/> was logged <paramref name="count"/> times, and returns its records.</summary>
    public List<FakeLogRecord> WaitFor(int id, int count = 1)
    {
        Eventually.True(() => OfEvent(id).Count >= count, $"event {id} logged {count} time(s); logged: {Text}");
        return OfEvent(id);
    }

    public void Dispose()
    {
        Factory.Dispose();
        _provider.Dispose();
    }
}
