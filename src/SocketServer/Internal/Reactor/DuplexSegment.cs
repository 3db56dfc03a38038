using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// One block of a <see cref="DuplexConnection"/>'s input or output: a pinned array (its address taken once, so
/// <c>recvmsg</c>/<c>sendmsg</c> use it with no pinning per call) and the link to the next block. As input it is a
/// segment of the <see cref="ReadOnlySequence{T}"/> the handler reads (every block but the last of a sequence is
/// full); as output, <see cref="Start"/>..<see cref="End"/> is what is still to be sent.
/// </summary>
/// <remarks>
/// A block starts on a cache line (<see cref="CacheLine"/> says why); an array's data does not: it follows the
/// array's header, at 16, 40, 0, 24... bytes past a line as 4 KiB arrays are laid one after another.
/// </remarks>
internal sealed unsafe class DuplexSegment : ReadOnlySequenceSegment<byte>
{
    /// <summary>The size of a pooled block.</summary>
    public const int BlockSize = 4096;

    private readonly byte[] _array;
    private readonly int _offset;

    /// <summary>A block of <paramref name="size"/> bytes on the pinned object heap, starting on a cache line.</summary>
    public DuplexSegment(int size)
    {
        _array = GC.AllocateUninitializedArray<byte>(size + CacheLine.Size - 1, pinned: true);
        // Pinned for its whole life: the address never changes, so neither does the offset to the first line.
        byte* data = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
        _offset = CacheLine.OffsetOf(data);
        Address = data + _offset;
        Capacity = size;
        Memory = _array.AsMemory(_offset, size);
    }

    /// <summary>The block's first byte (on a cache line).</summary>
    public byte* Address { get; }

    /// <summary>The block's size.</summary>
    public int Capacity { get; }

    /// <summary>True for a block of <see cref="BlockSize"/> (the pool keeps those; larger ones are left to the GC).</summary>
    public bool IsPooled => Capacity == BlockSize;

    /// <summary>Output: the first byte not yet sent. Input: unused.</summary>
    public int Start { get; set; }

    /// <summary>Output: the end of what was written. Input: the end of what was received into the block.</summary>
    public int End { get; set; }

    /// <summary>The block after this one, or null.</summary>
    public DuplexSegment? NextSegment => Unsafe.As<DuplexSegment?>(Next);

    /// <summary>The bytes free after <see cref="End"/>.</summary>
    public int Free => Capacity - End;

    /// <summary>The free part, for the writer's <c>GetMemory</c>.</summary>
    public Memory<byte> FreeMemory => _array.AsMemory(_offset + End, Capacity - End);

    /// <summary>The free part, for the writer's <c>GetSpan</c>.</summary>
    public Span<byte> FreeSpan => _array.AsSpan(_offset + End, Capacity - End);

    /// <summary>Output: the part still to be sent.</summary>
    public ReadOnlySpan<byte> Unsent => _array.AsSpan(_offset + Start, End - Start);

    /// <summary>Links <paramref name="next"/> after this block.</summary>
    public void SetNext(DuplexSegment? next) => Next = next;

    /// <summary>Input: where the block starts in the connection's stream (the sequence's positions count from it).</summary>
    public void SetRunningIndex(long index) => RunningIndex = index;

    /// <summary>Empties the block for its next use.</summary>
    public void Reset()
    {
        Start = 0;
        End = 0;
        Next = null;
    }
}
