using System.Diagnostics;
using HdrHistogram;

namespace SocketServer.Cli.Bench;

/// <summary>One worker's counts and latencies. Only its worker writes to it (HdrHistogram is not thread-safe).</summary>
internal sealed class WorkerStats
{
    /// <summary>The longest latency the histograms track, in nanoseconds (10 s); longer ones are recorded as this.</summary>
    public const long HighestNanoseconds = 10_000_000_000;

    private static readonly double NanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    private readonly long[] _errors = new long[Enum.GetValues<ErrorKind>().Length];
    private readonly List<long>? _values;
    private long _messages;

    /// <summary>Creates empty statistics.</summary>
    /// <param name="histogram">
    /// <see langword="false"/> to keep the few latencies of a connection in a list instead of a histogram of its own
    /// (idle mode, where there may be very many connections with one round trip each).
    /// </param>
    public WorkerStats(bool histogram = true)
    {
        Latency = histogram ? new SampledHistogram() : null;
        _values = histogram ? null : [];
    }

    /// <summary>
    /// Round-trip times in nanoseconds, to three significant digits; <see langword="null"/> if kept in <see cref="Values"/>.
    /// The time series' sampler reads it (never writes it) while the worker runs.
    /// </summary>
    public SampledHistogram? Latency { get; }

    /// <summary>Round-trip times in nanoseconds when there is no <see cref="Latency"/> histogram.</summary>
    public IReadOnlyList<long> Values => _values ?? [];

    /// <summary>Messages (or connections, in connrate mode) completed and verified in the measured window.</summary>
    public long Messages => _messages;

    /// <summary>
    /// Verified round trips over the whole run, warm-up included and beyond <c>-n</c>: whether the target echoed at
    /// all, which <see cref="Messages"/> cannot tell when the run ends before the measured window has any.
    /// </summary>
    public long RoundTrips { get; private set; }

    /// <summary>Payload bytes sent for those messages (each also came back).</summary>
    public long Bytes { get; private set; }

    /// <summary>The errors counted, indexed by <see cref="ErrorKind"/>.</summary>
    public IReadOnlyList<long> Errors => _errors;

    /// <summary>In idle mode: whether the connection was opened and its first round trip verified.</summary>
    public bool Opened { get; set; }

    /// <summary>In idle mode: whether the connection was still open at the end.</summary>
    public bool StayedOpen { get; set; }

    /// <summary>A histogram of the range and precision the workers use.</summary>
    /// <returns>An empty histogram.</returns>
    public static LongHistogram NewHistogram() => new(HighestNanoseconds, 3);

    /// <summary>Records one verified round trip.</summary>
    /// <param name="elapsedTicks">Its time in <see cref="Stopwatch"/> ticks.</param>
    /// <param name="bytes">Its payload size.</param>
    public void Record(long elapsedTicks, int bytes)
    {
        long nanoseconds = (long)(elapsedTicks * NanosecondsPerTick);
        nanoseconds = Math.Clamp(nanoseconds, 0, HighestNanoseconds);
        if (Latency is { } histogram)
        {
            histogram.RecordValue(nanoseconds);
        }
        else
        {
            _values!.Add(nanoseconds);
        }

        _messages++;
        RoundTrips++;
        Bytes += bytes;
    }

    /// <summary>Counts a verified round trip that is not measured (sent during the warm-up, or past <c>-n</c>).</summary>
    public void CountUnmeasured() => RoundTrips++;

    /// <summary>
    /// <see cref="Messages"/> read from another thread while the worker runs (the time series' sampler, once a second).
    /// The worker's own increments stay plain: the sampler pays for the fence, not the message path.
    /// </summary>
    /// <returns>The count at about this moment.</returns>
    public long SampleMessages() => Volatile.Read(ref _messages);

    /// <summary>The sum of <see cref="Errors"/> read from another thread while the worker runs, like <see cref="SampleMessages"/>.</summary>
    /// <returns>The errors counted so far.</returns>
    public long SampleErrors()
    {
        long total = 0;
        for (int kind = 0; kind < _errors.Length; kind++)
        {
            total += Volatile.Read(ref _errors[kind]);
        }

        return total;
    }

    /// <summary>Counts one error.</summary>
    /// <param name="kind">Its kind.</param>
    public void Count(ErrorKind kind) => _errors[(int)kind]++;
}
