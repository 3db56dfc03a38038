using System.Globalization;

namespace SocketServer.Internal.Limits;

/// <summary>
/// Writes one line per kind of event at most once per interval (30 s), then says how many were left out, so a flood
/// of bad peers cannot flood the log.
/// </summary>
internal sealed class ThrottledReport
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(30);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (long LastWritten, int Suppressed)> _kinds = new(StringComparer.Ordinal);
    private readonly Func<TextWriter> _writer;
    private readonly Func<TimeProvider> _time;

    public ThrottledReport(Func<TextWriter> writer, Func<TimeProvider> time)
    {
        _writer = writer;
        _time = time;
    }

    /// <summary>Writes <paramref name="line"/> unless a line of the same kind was written less than 30 s ago.</summary>
    public void Write(string kind, string line)
    {
        TimeProvider time = _time();
        long now = time.GetTimestamp();
        int suppressed;
        lock (_lock)
        {
            if (_kinds.TryGetValue(kind, out var last) && time.GetElapsedTime(last.LastWritten, now) < s_interval)
            {
                _kinds[kind] = (last.LastWritten, last.Suppressed + 1);
                return;
            }

            suppressed = last.Suppressed;
            _kinds[kind] = (now, 0);
        }

        string text = suppressed == 0
            ? line
            : string.Create(CultureInfo.InvariantCulture, $"{line} ({suppressed} more like it since the last report)");
        // Console.Error is synchronised already; a test's writer is too (TextWriter.Synchronized).
        TextWriter writer = _writer();
        writer.WriteLine(text);
        writer.Flush();
    }
}
