using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SocketServer.Internal;

/// <summary>
/// Puts the buffers the kernel copies into and out of on a cache line. On some processors (this project's AMD EPYC)
/// the kernel's copy from a buffer that starts a few bytes past a line is much slower: a C echo server sending
/// pipelined 4 KiB messages from buffers 8 bytes past a line spent 2.2× the CPU per message of the same server
/// sending from aligned ones (docs/benchmarks.md). An array's data, or a <c>stackalloc</c>, starts wherever it landed.
/// </summary>
internal static unsafe class CacheLine
{
    /// <summary>The line size assumed (x86-64 and most arm64 parts).</summary>
    public const int Size = 64;

    /// <summary>How many bytes after <paramref name="address"/> the next line starts (0 when it is on one).</summary>
    public static int OffsetOf(byte* address) => (int)((Size - ((nuint)address % Size)) % Size);

    /// <summary>
    /// <paramref name="length"/> bytes of <paramref name="memory"/> from its first line; <paramref name="memory"/> must
    /// not move (the stack, a pinned array) and be at least <paramref name="length"/> + <see cref="Size"/> - 1 long.
    /// </summary>
    public static Span<byte> Within(Span<byte> memory, int length) =>
        memory.Slice(OffsetOf((byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(memory))), length);
}
