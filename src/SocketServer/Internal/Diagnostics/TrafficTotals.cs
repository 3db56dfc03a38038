using System.Runtime.CompilerServices;

namespace SocketServer.Internal.Diagnostics;

/// <summary>
/// One server's running totals of bytes and datagrams, in and out, read by the observable counters of
/// <see cref="SocketServerMetrics"/> when a listener collects. Adding costs one uncontended atomic add and never
/// allocates, with or without a listener: a counter's <c>Add</c> per read would hand every measurement to every
/// listener on the reading thread, and the reactor's loop runs handlers on that thread.
/// </summary>
/// <remarks>
/// The totals are striped over cache-line-sized cells picked by the current processor, so that event loops on
/// different cores do not fight over one line at every read and write; a read sums the cells.
/// </remarks>
internal sealed class TrafficTotals
{
    private const int ReceivedBytesSlot = 0;
    private const int SentBytesSlot = 1;
    private const int ReceivedDatagramsSlot = 2;
    private const int SentDatagramsSlot = 3;

    // 8 longs: one 64-byte cache line per cell; the first cell starts one line in, away from the array's header.
    private const int CellLength = 8;

    private readonly long[] _cells;
    private readonly int _mask;

    /// <summary>Creates zeroed totals with one cell per processor, up to 16, rounded to a power of two.</summary>
    public TrafficTotals()
    {
        int cells = (int)Math.Min(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Environment.ProcessorCount));
        _mask = cells - 1;
        _cells = new long[(cells + 1) * CellLength];
    }

    /// <summary>Bytes received from clients.</summary>
    public long ReceivedBytes => Sum(ReceivedBytesSlot);

    /// <summary>Bytes sent to clients.</summary>
    public long SentBytes => Sum(SentBytesSlot);

    /// <summary>Datagrams received.</summary>
    public long ReceivedDatagrams => Sum(ReceivedDatagramsSlot);

    /// <summary>Datagrams sent.</summary>
    public long SentDatagrams => Sum(SentDatagramsSlot);

    /// <summary>Counts <paramref name="bytes"/> received on a connection (a non-positive count is ignored).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Received(long bytes)
    {
        if (bytes > 0)
        {
            Interlocked.Add(ref Cell(ReceivedBytesSlot), bytes);
        }
    }

    /// <summary>Counts <paramref name="bytes"/> sent on a connection (a non-positive count is ignored).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Sent(long bytes)
    {
        if (bytes > 0)
        {
            Interlocked.Add(ref Cell(SentBytesSlot), bytes);
        }
    }

    /// <summary>Counts one datagram of <paramref name="bytes"/> received.</summary>
    public void DatagramReceived(int bytes)
    {
        Interlocked.Increment(ref Cell(ReceivedDatagramsSlot));
        Received(bytes);
    }

    /// <summary>Counts one datagram of <paramref name="bytes"/> sent.</summary>
    public void DatagramSent(int bytes)
    {
        Interlocked.Increment(ref Cell(SentDatagramsSlot));
        Sent(bytes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref long Cell(int slot) => ref _cells[(((Thread.GetCurrentProcessorId() & _mask) + 1) * CellLength) + slot];

    private long Sum(int slot)
    {
        long total = 0;
        for (int cell = 1; cell <= _mask + 1; cell++)
        {
            total += Volatile.Read(ref _cells[(cell * CellLength) + slot]);
        }

        return total;
    }
}
