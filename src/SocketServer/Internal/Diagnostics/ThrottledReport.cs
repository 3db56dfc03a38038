using System.Globalization;

namespace SocketServer.Internal.Diagnostics;

/// <summary>
/// Lets one log line per kind of event through at most once per interval (30 s), and says how many were left out
/// since, so that a flood of bad peers cannot flood the log. The events are still counted in full by the metrics.
/// </summary>
internal sealed class ThrottledReport
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(30);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (long LastWritten, int Suppressed)> _kinds = new(StringComparer.Ordinal);
    private readonly Func<TimeProvider> _time;

    /// <summary>Creates the gate on the clock <paramref name="time"/> returns at each event (the server's, which tests fake).</summary>
    public ThrottledReport(Func<TimeProvider> time) => _time = time;

    /// <summary>
    /// Whether an event of <paramref name="kind"/> may be logged now: no line of that kind was let through in the last
    /// 30 s. When it may, <paramref name="suppressedNote"/> is empty or, when events were left out since the last line,
    /// says how many (to end the line with); when it may not, the event is counted as left out.
    /// </summary>
    public bool TryReport(string kind, out string suppressedNote)
    {
        TimeProvider time = _time();
        long now = time.GetTimestamp();
        int suppressed;
        lock (_lock)
        {
            if (_kinds.TryGetValue(kind, out var last) && time.GetElapsedTime(last.LastWritten, now) < s_interval)
            {
                _kinds[kind] = (last.LastWritten, last.Suppressed + 1);
                suppressedNote = string.Empty;
                return false;
            }

            suppressed = last.Suppressed;
            _kinds[kind] = (now, 0);
        }

        suppressedNote = suppressed == 0
            ? string.Empty
            : string.Create(CultureInfo.InvariantCulture, $" ({suppressed} more like it since the last report)");
        return true;
    }
}
