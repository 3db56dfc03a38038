using System.Runtime.InteropServices;
using SocketServer.Internal;
using SocketServer.Internal.IoUring;
using SocketServer.Internal.Reactor;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Async;

/// <summary>
/// The reactor's buffers start on a cache line (io_uring's provided buffers on a page): the kernel copies into and
/// out of them, and a copy from a buffer 8 bytes past a line cost 2.2× on this project's machine
/// (docs/benchmarks.md). Arrays alone do not give that: their data follows a header, wherever the array landed.
/// </summary>
public sealed unsafe class BufferAlignmentTests
{
    [Fact]
    public void EveryBlockStartsOnACacheLineWhereverItsArrayLanded()
    {
        // Sizes that move the next array's start by amounts other than a line, so that unaligned arrays occur.
        int[] sizes = [DuplexSegment.BlockSize, 100, DuplexSegment.BlockSize, 4100, 24, DuplexSegment.BlockSize, 70_000, 8, DuplexSegment.BlockSize];
        for (int round = 0; round < 8; round++)
        {
            foreach (int size in sizes)
            {
                var block = new DuplexSegment(size);
                Assert.Equal(0u, (nuint)block.Address % CacheLine.Size);
                Assert.Equal(size, block.Capacity);
                Assert.Equal(size == DuplexSegment.BlockSize, block.IsPooled);
                AssertIsTheBlock(block, size);
            }
        }
    }

    [Fact]
    public void TheFreeTheUnsentAndTheSequencePartsAreTheSameBytes()
    {
        var block = new DuplexSegment(DuplexSegment.BlockSize);
        Span<byte> free = block.FreeSpan;
        Assert.Equal(DuplexSegment.BlockSize, free.Length);
        for (int i = 0; i < 300; i++)
        {
            free[i] = (byte)i;
        }

        block.End = 300;
        block.Start = 10;
        Assert.Equal(DuplexSegment.BlockSize - 300, block.Free);
        Assert.Equal(DuplexSegment.BlockSize - 300, block.FreeSpan.Length);
        Assert.Equal(DuplexSegment.BlockSize - 300, block.FreeMemory.Length);
        Assert.Equal(Enumerable.Range(10, 290).Select(i => (byte)i), block.Unsent.ToArray());
        Assert.Equal((byte)10, block.Address[10]);
        Assert.Equal(unchecked((byte)299), block.Memory.Span[299]);

        // What the writer is handed next starts right after End, in the same block.
        block.FreeSpan[0] = 0xAB;
        Assert.Equal(0xAB, block.Address[300]);
        fixed (byte* next = block.FreeMemory.Span)
        {
            Assert.Equal((nuint)(block.Address + 300), (nuint)next);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(24)]
    [InlineData(63)]
    public void AStackBufferIsTakenFromItsFirstCacheLine(int skew)
    {
        // The threading echo handlers' buffer: a stackalloc, wherever the stack is; skew moves it by hand as well.
        Span<byte> stack = stackalloc byte[4096 + CacheLine.Size - 1 + 64];
        Span<byte> raw = stack[skew..];
        Span<byte> buffer = CacheLine.Within(raw, 4096);
        Assert.Equal(4096, buffer.Length);
        fixed (byte* start = buffer)
        fixed (byte* rawStart = raw)
        {
            Assert.Equal(0u, (nuint)start % CacheLine.Size);
            Assert.InRange((nuint)(start - rawStart), 0u, (nuint)(CacheLine.Size - 1));
        }
    }

    [Fact]
    public void ProvidedReceiveBuffersStartOnAPage()
    {
        TestTransports.SkipUnlessAvailable(AsyncTransport.IoUring);
        using IoUringRing? ring = IoUringRing.TryCreate(8, 16, out int errno);
        Assert.True(ring is not null, $"io_uring_setup failed: errno {errno}");
        using var buffers = new ProvidedBufferRing(ring, group: 7, count: 8, bufferSize: IoUringLoop.ReceiveBufferSize);
        for (ushort id = 0; id < buffers.Count; id++)
        {
            Assert.Equal(0u, (nuint)buffers.Buffer(id) % (nuint)Environment.SystemPageSize);
        }
    }

    private static void AssertIsTheBlock(DuplexSegment block, int size)
    {
        Assert.Equal(size, block.Memory.Length);
        Assert.Equal(size, block.FreeSpan.Length);
        fixed (byte* memory = block.Memory.Span)
        {
            Assert.Equal((nuint)block.Address, (nuint)memory);
        }

        // The last byte is the block's own: writing it through the span is seen at the address.
        block.FreeSpan[size - 1] = 0x5A;
        Assert.Equal(0x5A, block.Address[size - 1]);
        Assert.True(MemoryMarshal.TryGetArray(block.Memory, out ArraySegment<byte> array));
        Assert.True(array.Offset + size <= array.Array!.Length);
    }
}
