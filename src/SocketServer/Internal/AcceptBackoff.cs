using System.Diagnostics;
using System.Globalization;

namespace SocketServer.Internal;

/// <summary>
/// Pauses accepting when the process runs out of descriptors (EMFILE/ENFILE), so the loop never spins on a
/// listening socket that stays readable: 5 ms, doubling to 1 s, as Go's server does, reset by the next success.
/// It reports once when the pauses start, every 30 seconds while they last, and once when accepting resumes.
/// </summary>
internal sealed class AcceptBackoff
{
    private static readonly TimeSpan s_first = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan s_max = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_reportInterval = TimeSpan.FromSeconds(30);
    private readonly TextWriter _report;
    private TimeSpan _delay;
    private long _lastReport;
    private int _failures;

    public AcceptBackoff(TextWriter report) => _report = report;

    /// <summary>How long to pause before the next accept; null when accepting works.</summary>
    public TimeSpan? PendingDelay => _failures == 0 ? null : _delay;

    public void Failed(string address, Exception exception)
    {
        _failures++;
        _delay = _failures == 1 ? s_first : TimeSpan.FromTicks(Math.Min(_delay.Ticks * 2, s_max.Ticks));
        long now = Stopwatch.GetTimestamp();
        if (_failures == 1 || Stopwatch.GetElapsedTime(_lastReport, now) >= s_reportInterval)
        {
            _lastReport = now;
            Write(string.Create(
                CultureInfo.InvariantCulture,
                $"socketserver: accepting on {address} failed: {exception.Message} ({DescriptorLimit()}); pausing {_delay.TotalMilliseconds:0} ms, up to 1 s, while existing requests go on ({_failures} failures so far)."));
        }
    }

    public void Succeeded(string address)
    {
        if (_failures > 0)
        {
            Write(string.Create(CultureInfo.InvariantCulture, $"socketserver: accepting on {address} again after {_failures} failures."));
            _failures = 0;
        }
    }

    private void Write(string line)
    {
        _report.WriteLine(line);
        _report.Flush();
    }

    private static string DescriptorLimit() =>
        DescriptorLimits.TryGetSoftLimit() is { } limit
            ? string.Create(CultureInfo.InvariantCulture, $"this process may open {limit} descriptors")
            : "the descriptor limit was reached";
}
