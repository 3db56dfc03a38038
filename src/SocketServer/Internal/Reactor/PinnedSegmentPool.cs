using System.Collections.Concurrent;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// A loop's pool of <see cref="DuplexSegment"/> blocks for its connections' input and output. Two tiers: a stack that
/// only the loop's thread touches (no atomic operation: a read or a send on the loop rents and returns there), and a
/// concurrent queue for blocks rented or returned by handlers running on other threads. Blocks are kept once made (up
/// to <see cref="MaxRetained"/>), as Kestrel's pool does: the pool's size is the peak of buffered bytes, which the
/// connections' thresholds bound.
/// </summary>
internal sealed class PinnedSegmentPool
{
    /// <summary>How many free blocks are kept; more are left to the GC.</summary>
    public const int MaxRetained = 16384;

    private const int LocalCapacity = 256;

    private readonly DuplexSegment[] _local = new DuplexSegment[LocalCapacity];
    private readonly ConcurrentQueue<DuplexSegment> _shared = new();
    private int _localCount;
    private int _created;

    /// <summary>How many blocks this pool ever made: its high-water mark, as blocks are kept once made.</summary>
    public int BlocksCreated => Volatile.Read(ref _created);

    /// <summary>A block of <see cref="DuplexSegment.BlockSize"/>; <paramref name="onLoop"/> says the caller is the loop's thread.</summary>
    public DuplexSegment Rent(bool onLoop)
    {
        if (onLoop && _localCount > 0)
        {
            return _local[--_localCount];
        }

        if (_shared.TryDequeue(out DuplexSegment? block))
        {
            return block;
        }

        Interlocked.Increment(ref _created);
        return new DuplexSegment(DuplexSegment.BlockSize);
    }

    /// <summary>A block of at least <paramref name="size"/> bytes: a pooled one when it fits, else one of its own.</summary>
    public DuplexSegment Rent(int size, bool onLoop) =>
        size <= DuplexSegment.BlockSize ? Rent(onLoop) : new DuplexSegment(size);

    /// <summary>Gives a block back; <paramref name="onLoop"/> says the caller is the loop's thread.</summary>
    public void Return(DuplexSegment block, bool onLoop)
    {
        if (!block.IsPooled)
        {
            return;
        }

        block.Reset();
        if (onLoop && _localCount < LocalCapacity)
        {
            _local[_localCount++] = block;
        }
        else if (_shared.Count < MaxRetained)
        {
            _shared.Enqueue(block);
        }
    }
}
