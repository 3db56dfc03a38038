using System.Diagnostics;
using SocketServer.Internal.Diagnostics;

namespace SocketServer.Internal;

/// <summary>
/// Pauses accepting when the process runs out of descriptors (EMFILE/ENFILE), so no transport ever spins on a
/// listening socket that stays readable: 5 ms, doubling to 1 s, as Go's server does, reset by the next success.
/// It reports once when the pauses start, every 30 seconds while they last, and once when accepting resumes. One
/// policy for the serve loop, the reactor and the portable transport (through the request pipeline).
/// </summary>
internal sealed class AcceptBackoff
{
    private static readonly TimeSpan s_first = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan s_max = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_reportInterval = TimeSpan.FromSeconds(30);
    private readonly ServerDiagnostics _diagnostics;
    private TimeSpan _delay;
    private long _lastReport;
    private int _failures;

    public AcceptBackoff(ServerDiagnostics diagnostics) => _diagnostics = diagnostics;

    /// <summary>How long to pause before the next accept; null when accepting works.</summary>
    public TimeSpan? PendingDelay => _failures == 0 ? null : _delay;

    /// <summary>An accept (or a request thread's start) failed for want of descriptors: the next pause doubles.</summary>
    public void Failed(Exception exception)
    {
        _failures++;
        _delay = _failures == 1 ? s_first : TimeSpan.FromTicks(Math.Min(_delay.Ticks * 2, s_max.Ticks));
        long now = Stopwatch.GetTimestamp();
        bool report = _failures == 1 || Stopwatch.GetElapsedTime(_lastReport, now) >= s_reportInterval;
        if (report)
        {
            _lastReport = now;
        }

        _diagnostics.AcceptPausedOutOfDescriptors(exception, _delay, _failures, report);
    }

    /// <summary>A request got going: the pauses end, and their end is reported.</summary>
    public void Succeeded()
    {
        if (_failures > 0)
        {
            _diagnostics.AcceptResumed(_failures);
            _failures = 0;
        }
    }
}
