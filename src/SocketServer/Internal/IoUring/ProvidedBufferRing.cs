using System.Runtime.InteropServices;
using SocketServer.Internal.Reactor;

namespace SocketServer.Internal.IoUring;

/// <summary>
/// A provided-buffer ring (<c>IORING_REGISTER_PBUF_RING</c>, Linux 5.19) of <see cref="Count"/> buffers of
/// <see cref="BufferSize"/> bytes: multishot receives pick a buffer from it for each completion, the loop copies the
/// bytes into the connection's input pipe and gives the buffer straight back. Buffers are out of the ring only
/// between the kernel filling them and the loop reading their completion, so a small ring serves any number of
/// connections; when it runs dry anyway, a receive ends with ENOBUFS and is armed again once buffers came back.
/// </summary>
internal sealed unsafe class ProvidedBufferRing : IDisposable
{
    private const nuint BufferAlignment = 4096;

    private readonly IoUringRing _ring;
    private readonly byte* _entries;
    private readonly nuint _entriesSize;
    private readonly byte* _buffers;
    private readonly ushort _mask;
    private ushort _tail;
    private bool _registered;
    private bool _released;

    /// <summary>Registers a ring of <paramref name="count"/> (a power of two) buffers of <paramref name="bufferSize"/> bytes as group <paramref name="group"/>.</summary>
    public ProvidedBufferRing(IoUringRing ring, ushort group, int count, int bufferSize)
    {
        _ring = ring;
        Group = group;
        Count = count;
        BufferSize = bufferSize;
        _mask = (ushort)(count - 1);
        // The kernel wants the entries page-aligned: an anonymous mapping is.
        _entriesSize = (nuint)(count * IoUringNative.BufSize);
        _entries = (byte*)IoUringNative.Mmap(null, _entriesSize, IoUringNative.ProtRead | IoUringNative.ProtWrite, IoUringNative.MapPrivate | IoUringNative.MapAnonymous, -1, 0);
        if (_entries == (byte*)-1)
        {
            throw ReactorErrors.Exception("mmap (buffer ring)", Marshal.GetLastSystemError());
        }

        // Page-aligned, not wherever malloc puts it: the kernel's copy into a buffer that starts off a cache line is
        // much slower on some processors (CacheLine says more).
        _buffers = (byte*)NativeMemory.AlignedAlloc((nuint)count * (nuint)bufferSize, BufferAlignment);
        byte* registration = stackalloc byte[IoUringNative.BufRegSize];
        new Span<byte>(registration, IoUringNative.BufRegSize).Clear();
        *(ulong*)registration = (ulong)_entries;
        *(uint*)(registration + 8) = (uint)count;
        *(ushort*)(registration + 12) = group;
        if (IoUringNative.Register(ring.Fd, IoUringNative.RegisterPbufRing, registration, 1) < 0)
        {
            int errno = Marshal.GetLastSystemError();
            Release();
            throw ReactorErrors.Exception("io_uring_register (IORING_REGISTER_PBUF_RING)", errno);
        }

        _registered = true;
        for (int i = 0; i < count; i++)
        {
            Add((ushort)i);
        }

        Publish();
    }

    /// <summary>The buffer group id receives name.</summary>
    public ushort Group { get; }

    /// <summary>How many buffers.</summary>
    public int Count { get; }

    /// <summary>The size of each buffer.</summary>
    public int BufferSize { get; }

    /// <summary>The bytes of buffer <paramref name="id"/>.</summary>
    public byte* Buffer(ushort id) => _buffers + ((nuint)id * (nuint)BufferSize);

    /// <summary>Gives buffer <paramref name="id"/> back; the kernel sees it after <see cref="Publish"/>.</summary>
    public void Add(ushort id)
    {
        byte* entry = _entries + ((_tail & _mask) * IoUringNative.BufSize);
        *(ulong*)entry = (ulong)Buffer(id);
        *(uint*)(entry + 8) = (uint)BufferSize;
        *(ushort*)(entry + 12) = id;
        _tail++;
    }

    /// <summary>Publishes the buffers given back (the ring's tail, in the first entry's last two bytes, with release semantics).</summary>
    public void Publish() => Volatile.Write(ref *(ushort*)(_entries + 14), _tail);

    /// <summary>
    /// Unregisters the ring and frees the memory. Only once nothing in flight can still pick a buffer (the loop
    /// drained its ring first).
    /// </summary>
    public void Dispose()
    {
        if (_registered)
        {
            _registered = false;
            byte* registration = stackalloc byte[IoUringNative.BufRegSize];
            new Span<byte>(registration, IoUringNative.BufRegSize).Clear();
            *(ushort*)(registration + 12) = Group;
            IoUringNative.Register(_ring.Fd, IoUringNative.UnregisterPbufRing, registration, 1);
        }

        Release();
    }

    private void Release()
    {
        if (_released)
        {
            return;
        }

        _released = true;
        NativeMemory.AlignedFree(_buffers);

        IoUringNative.Munmap(_entries, _entriesSize);
    }
}
