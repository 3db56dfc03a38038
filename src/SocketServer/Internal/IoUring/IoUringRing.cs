using System.Runtime.InteropServices;
using SocketServer.Internal.Reactor;

namespace SocketServer.Internal.IoUring;

/// <summary>
/// One io_uring instance: the descriptor, the submission and completion rings mapped into our memory, and the
/// preparation of the few operations the transport uses. Not thread-safe: with <c>IORING_SETUP_SINGLE_ISSUER</c> the
/// ring belongs to the thread that created it (the loop's), which is the only one that touches it.
/// </summary>
/// <remarks>
/// Setup asks for the cheapest completion mode first (<c>SINGLE_ISSUER | DEFER_TASKRUN</c>, Linux 6.1: completions run
/// only when the loop enters to wait, never interrupting it) and falls back to <c>COOP_TASKRUN</c> (5.19), then to
/// none. The SQ array is filled once with the identity, so an entry's index is its slot.
/// </remarks>
internal sealed unsafe class IoUringRing : IDisposable
{
    private readonly uint* _sqHead;
    private readonly uint* _sqTail;
    private readonly uint _sqMask;
    private readonly uint _sqEntries;
    private readonly byte* _sqes;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint _cqMask;
    private readonly byte* _cqes;
    private readonly void* _ringMap;
    private readonly nuint _ringMapSize;
    private readonly nuint _sqesSize;
    private uint _localTail;
    private int _disposed;

    private IoUringRing(int fd, byte* parameters)
    {
        Fd = fd;
        Flags = *(uint*)(parameters + 8);
        Features = *(uint*)(parameters + 20);
        _sqEntries = *(uint*)parameters;
        uint cqEntries = *(uint*)(parameters + 4);
        byte* sqOff = parameters + 40;
        byte* cqOff = parameters + 80;
        nuint sqSize = *(uint*)(sqOff + 24) + (_sqEntries * sizeof(uint));
        nuint cqSize = *(uint*)(cqOff + 20) + (cqEntries * IoUringNative.CqeSize);
        // IORING_FEAT_SINGLE_MMAP (5.4): the SQ and CQ rings share one mapping (required by the support probe).
        _ringMapSize = Math.Max(sqSize, cqSize);
        _ringMap = Map(fd, _ringMapSize, IoUringNative.OffSqRing);
        _sqesSize = _sqEntries * IoUringNative.SqeSize;
        try
        {
            _sqes = (byte*)Map(fd, _sqesSize, IoUringNative.OffSqes);
        }
        catch
        {
            IoUringNative.Munmap(_ringMap, _ringMapSize);
            throw;
        }

        byte* ring = (byte*)_ringMap;
        _sqHead = (uint*)(ring + *(uint*)sqOff);
        _sqTail = (uint*)(ring + *(uint*)(sqOff + 4));
        _sqMask = *(uint*)(ring + *(uint*)(sqOff + 8));
        uint* array = (uint*)(ring + *(uint*)(sqOff + 24));
        for (uint i = 0; i < _sqEntries; i++)
        {
            array[i] = i;
        }

        _cqHead = (uint*)(ring + *(uint*)cqOff);
        _cqTail = (uint*)(ring + *(uint*)(cqOff + 4));
        _cqMask = *(uint*)(ring + *(uint*)(cqOff + 8));
        _cqes = ring + *(uint*)(cqOff + 20);
        _localTail = *_sqTail;
    }

    /// <summary>The ring's descriptor.</summary>
    public int Fd { get; }

    /// <summary>The setup flags the kernel accepted.</summary>
    public uint Flags { get; }

    /// <summary>The kernel's <c>IORING_FEAT_*</c> bits.</summary>
    public uint Features { get; }

    /// <summary>Entries prepared and not yet taken by the kernel.</summary>
    public uint Unsubmitted => _localTail - Volatile.Read(ref *_sqHead);

    /// <summary>
    /// Creates a ring of <paramref name="sqEntries"/> submissions and <paramref name="cqEntries"/> completions on the
    /// calling thread, or returns null with the errno of the last attempt.
    /// </summary>
    public static IoUringRing? TryCreate(uint sqEntries, uint cqEntries, out int errno)
    {
        uint[] attempts =
        [
            IoUringNative.SetupSingleIssuer | IoUringNative.SetupDeferTaskRun | IoUringNative.SetupSubmitAll,
            IoUringNative.SetupCoopTaskRun | IoUringNative.SetupSubmitAll,
            0,
        ];
        errno = 0;
        byte* parameters = stackalloc byte[IoUringNative.ParamsSize];
        foreach (uint flags in attempts)
        {
            new Span<byte>(parameters, IoUringNative.ParamsSize).Clear();
            *(uint*)(parameters + 4) = cqEntries;
            *(uint*)(parameters + 8) = flags | IoUringNative.SetupCqSize;
            int fd = IoUringNative.Setup(sqEntries, parameters);
            if (fd >= 0)
            {
                if ((*(uint*)(parameters + 20) & IoUringNative.FeatSingleMmap) == 0)
                {
                    ReactorNative.Close(fd);
                    errno = IoUringNative.EInval;
                    return null;
                }

                return new IoUringRing(fd, parameters);
            }

            errno = Marshal.GetLastSystemError();
            if (errno != IoUringNative.EInval)
            {
                // ENOSYS, EPERM, ENOMEM: fewer flags would not help.
                return null;
            }
        }

        return null;
    }

    /// <summary>
    /// A cleared submission entry to fill, taken from the ring; when the ring is full, what is prepared is submitted
    /// first (one extra <c>io_uring_enter</c>, without waiting).
    /// </summary>
    public byte* NextSqe()
    {
        if (_localTail - Volatile.Read(ref *_sqHead) >= _sqEntries)
        {
            Publish();
            if (IoUringNative.Enter(Fd, Unsubmitted, 0, 0) < 0)
            {
                int errno = Marshal.GetLastSystemError();
                if (errno != IoUringNative.EIntr && errno != IoUringNative.EAgain && errno != IoUringNative.EBusy)
                {
                    throw ReactorErrors.Exception("io_uring_enter", errno);
                }
            }

            if (_localTail - Volatile.Read(ref *_sqHead) >= _sqEntries)
            {
                throw ReactorErrors.Exception("io_uring_enter (submission ring full)", IoUringNative.EBusy);
            }
        }

        byte* sqe = _sqes + ((_localTail & _sqMask) * IoUringNative.SqeSize);
        new Span<byte>(sqe, IoUringNative.SqeSize).Clear();
        _localTail++;
        return sqe;
    }

    /// <summary>
    /// Submits what was prepared and, when <paramref name="wait"/>, waits for at least one completion: the loop's one
    /// system call per turn. Returns 0, or the errno (EINTR, EBUSY...) for the caller to judge.
    /// </summary>
    public int SubmitAndWait(bool wait)
    {
        Publish();
        uint toSubmit = Unsubmitted;
        if (!wait && toSubmit == 0)
        {
            return 0;
        }

        int result = IoUringNative.Enter(Fd, toSubmit, wait ? 1u : 0u, wait ? IoUringNative.EnterGetEvents : 0u);
        return result < 0 ? Marshal.GetLastSystemError() : 0;
    }

    /// <summary>The completion ring's head (ours to advance) and tail (the kernel's), read with acquire semantics.</summary>
    public void CompletionRange(out uint head, out uint tail)
    {
        head = *_cqHead;
        tail = Volatile.Read(ref *_cqTail);
    }

    /// <summary>The completion at position <paramref name="index"/> (masked).</summary>
    public byte* Completion(uint index) => _cqes + ((index & _cqMask) * IoUringNative.CqeSize);

    /// <summary>Gives the completions up to <paramref name="head"/> back to the kernel.</summary>
    public void AdvanceCompletions(uint head) => Volatile.Write(ref *_cqHead, head);

    /// <summary>Fills <paramref name="sqe"/> with an operation on <paramref name="fd"/>.</summary>
    public static void Prepare(byte* sqe, byte opcode, int fd, ulong address, uint length, ulong userData)
    {
        sqe[0] = opcode;
        *(int*)(sqe + 4) = fd;
        *(ulong*)(sqe + 16) = address;
        *(uint*)(sqe + 24) = length;
        *(ulong*)(sqe + 32) = userData;
    }

    /// <summary>Sets the entry's <c>IOSQE_*</c> flags.</summary>
    public static void SetFlags(byte* sqe, byte flags) => sqe[1] = flags;

    /// <summary>Sets <c>ioprio</c> (multishot flags of accept and recv).</summary>
    public static void SetIoPriority(byte* sqe, ushort value) => *(ushort*)(sqe + 2) = value;

    /// <summary>Sets the operation's own flags (<c>msg_flags</c>, <c>accept_flags</c>, <c>cancel_flags</c>).</summary>
    public static void SetOperationFlags(byte* sqe, uint value) => *(uint*)(sqe + 28) = value;

    /// <summary>Sets the provided-buffer group (with <see cref="IoUringNative.SqeBufferSelect"/>).</summary>
    public static void SetBufferGroup(byte* sqe, ushort group) => *(ushort*)(sqe + 40) = group;

    /// <summary>Closes the ring (the kernel cancels what is still in flight) and unmaps it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        IoUringNative.Munmap(_sqes, _sqesSize);
        IoUringNative.Munmap(_ringMap, _ringMapSize);
        ReactorNative.Close(Fd);
    }

    private static void* Map(int fd, nuint size, long offset)
    {
        void* address = IoUringNative.Mmap(null, size, IoUringNative.ProtRead | IoUringNative.ProtWrite, IoUringNative.MapShared | IoUringNative.MapPopulate, fd, offset);
        if (address == (void*)-1)
        {
            int errno = Marshal.GetLastSystemError();
            ReactorNative.Close(fd);
            throw ReactorErrors.Exception("mmap (io_uring)", errno);
        }

        return address;
    }

    private void Publish() => Volatile.Write(ref *_sqTail, _localTail);
}
