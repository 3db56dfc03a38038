using HdrHistogram;

namespace SocketServer.Cli.Bench;

/// <summary>
/// A worker's latency histogram: an HdrHistogram of 64-bit counts exactly like <see cref="LongHistogram"/> (same range
/// and precision, so the two merge index by index), whose counts the time series' sampler can also read directly while
/// the worker records. Through the base class that read costs two virtual calls per count, about 150 µs per histogram;
/// here it is a plain loop over the array, about 20 µs, which matters with a histogram per connection.
/// </summary>
internal sealed class SampledHistogram : HistogramBase
{
    private readonly long[] _counts;
    private long _totalCount;

    /// <summary>Creates an empty histogram of 1 ns to <see cref="WorkerStats.HighestNanoseconds"/>, three significant digits.</summary>
    public SampledHistogram()
        : base(1, WorkerStats.HighestNanoseconds, 3)
    {
        // The base class keeps its length internal; this is how HdrHistogram itself sizes the array for these buckets.
        _counts = new long[(BucketCount + 1) * (SubBucketCount / 2)];
    }

    /// <summary>How many counts the histogram has (the length a sampler's sums need).</summary>
    public int Length => _counts.Length;

    /// <inheritdoc/>
    public override long TotalCount
    {
        get => _totalCount;
        protected set => _totalCount = value;
    }

    /// <inheritdoc/>
    protected override int WordSizeInBytes => sizeof(long);

    /// <inheritdoc/>
    protected override long MaxAllowableCount => long.MaxValue;

    /// <inheritdoc/>
    public override HistogramBase Copy()
    {
        SampledHistogram copy = new();
        copy.Add(this);
        return copy;
    }

    /// <summary>
    /// Adds each count to the same index of <paramref name="sums"/>. Safe while the worker records: each count is one
    /// aligned 64-bit read, so it is whole (on a 64-bit process), at worst a message behind.
    /// </summary>
    /// <param name="sums">At least <see cref="Length"/> sums.</param>
    public void AddCountsTo(Span<long> sums)
    {
        ReadOnlySpan<long> counts = _counts;
        sums = sums[..counts.Length];
        for (int i = 0; i < counts.Length; i++)
        {
            sums[i] += counts[i];
        }
    }

    /// <summary>Replaces the counts by <paramref name="now"/> less <paramref name="before"/>, index by index (never below 0).</summary>
    /// <param name="now">Summed counts at the end of an interval.</param>
    /// <param name="before">Summed counts at its start, or empty for none.</param>
    public void SetDifference(ReadOnlySpan<long> now, ReadOnlySpan<long> before)
    {
        long total = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            long count = Math.Max(0, now[i] - (before.IsEmpty ? 0 : before[i]));
            _counts[i] = count;
            total += count;
        }

        _totalCount = total;
    }

    /// <inheritdoc/>
    protected override long GetCountAtIndex(int index) => _counts[index];

    /// <inheritdoc/>
    protected override void SetCountAtIndex(int index, long value) => _counts[index] = value;

    /// <inheritdoc/>
    protected override void IncrementCountAtIndex(int index)
    {
        _counts[index]++;
        _totalCount++;
    }

    /// <inheritdoc/>
    protected override void AddToCountAtIndex(int index, long addend)
    {
        _counts[index] += addend;
        _totalCount += addend;
    }

    /// <inheritdoc/>
    protected override void ClearCounts()
    {
        Array.Clear(_counts);
        _totalCount = 0;
    }

    /// <inheritdoc/>
    protected override void CopyCountsInto(long[] target) => Array.Copy(_counts, target, target.Length);
}
