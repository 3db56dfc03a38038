using System.Buffers;
using System.Collections.Concurrent;

namespace SocketServer.Internal.IoUring;

/// <summary>
/// A <see cref="MemoryPool{T}"/> of fixed-size blocks on the pinned object heap, for the io_uring connections' pipes (the epoll reactor's duplex connections use <see cref="Reactor.PinnedSegmentPool"/>). Pinned
/// so that <c>read</c>/<c>writev</c> take the blocks' addresses with no pinning per call (<see cref="MemoryManager{T}.Pin"/>
/// is free); pooled so that the steady state allocates nothing. Blocks are kept once allocated (up to
/// <see cref="MaxRetained"/>), as Kestrel's pool does: the pool's size is the peak of buffered bytes, which the pipes'
/// thresholds bound.
/// </summary>
internal sealed class PinnedBlockMemoryPool : MemoryPool<byte>
{
    /// <summary>The size of every block.</summary>
    public const int BlockSize = 4096;

    /// <summary>How many free blocks are kept; more are left to the GC.</summary>
    public const int MaxRetained = 16384;

    private readonly ConcurrentQueue<Block> _free = new();
    private int _blocksCreated;

    /// <summary>One pool for the process (each <see cref="IoUringLoop"/> has its own, <see cref="IoUringLoop.MemoryPool"/>).</summary>
    public static new PinnedBlockMemoryPool Shared { get; } = new();

    /// <inheritdoc/>
    public override int MaxBufferSize => BlockSize;

    /// <summary>How many blocks this pool ever allocated: its high-water mark, as blocks are kept once made.</summary>
    public int BlocksCreated => Volatile.Read(ref _blocksCreated);

    /// <inheritdoc/>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        if (_free.TryDequeue(out Block? block))
        {
            block.Rented = true;
            return block;
        }

        Interlocked.Increment(ref _blocksCreated);
        return new Block(this) { Rented = true };
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
    }

    private void Return(Block block)
    {
        if (_free.Count < MaxRetained)
        {
            _free.Enqueue(block);
        }
    }

    /// <summary>One pinned block; disposing it (which the pipe does when done with it) returns it to the pool.</summary>
    private sealed unsafe class Block(PinnedBlockMemoryPool pool) : MemoryManager<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);

        public bool Rented { get; set; }

        public override Span<byte> GetSpan() => _array;

        public override Memory<byte> Memory => CreateMemory(BlockSize);

        public override MemoryHandle Pin(int elementIndex = 0)
        {
            // On the pinned object heap the array never moves: its address is the handle, nothing to release.
            fixed (byte* start = _array)
            {
                return new MemoryHandle(start + elementIndex);
            }
        }

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
            if (Rented)
            {
                Rented = false;
                pool.Return(this);
            }
        }
    }
}
