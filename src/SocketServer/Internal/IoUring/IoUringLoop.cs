using System.Runtime.InteropServices;
using SocketServer.Internal.Reactor;

namespace SocketServer.Internal.IoUring;

/// <summary>
/// One event-loop thread on io_uring: a ring created on the thread itself (single issuer), a provided-buffer ring for
/// multishot receives, an eventfd read kept in flight so that other threads can wake it, a queue of work posted from
/// them and an end-of-batch list, as <see cref="EventLoop"/> has. Each turn is one <c>io_uring_enter</c> that
/// submits everything prepared since the last one (sends, re-armed receives, cancellations) and waits for a
/// completion; then every completion of the batch runs, then the posted work, then the end-of-batch work.
/// </summary>
/// <remarks>
/// An operation's <c>user_data</c> is the handler's slot, the slot's generation and a kind: a completion for a slot
/// that was freed (a closed connection's receive, cancelled) is recognised by its old generation and dropped, its
/// buffer given back. Everything here runs on the loop's thread except <see cref="Post"/> and <see cref="Dispose"/>.
/// </remarks>
internal sealed unsafe class IoUringLoop : IConnectionLoop, IDisposable
{
    /// <summary>Submission entries: the most operations one turn prepares before an extra submit.</summary>
    public const uint SubmissionEntries = 1024;

    /// <summary>Completion entries (multishot operations post many per submission; the kernel keeps an overflow beyond).</summary>
    public const uint CompletionEntries = 8192;

    /// <summary>Buffers in the provided-buffer ring.</summary>
    public const int ReceiveBufferCount = 256;

    /// <summary>The size of each provided buffer: one completion takes at most this much of a connection's input.</summary>
    public const int ReceiveBufferSize = 16 * 1024;

    private const ushort BufferGroup = 0;
    private const byte WakeKind = 1;
    private const byte IgnoredKind = 2;

    private readonly Thread _thread;
    private readonly LoopWorkQueue _work;
    private readonly ManualResetEventSlim _ready = new();
    private readonly Stack<int> _freeSlots = new();
    private IIoUringHandler?[] _handlers = new IIoUringHandler?[64];
    private uint[] _generations = new uint[64];
    private int _nextSlot;
    private IoUringRing? _ring;
    private ProvidedBufferRing? _buffers;
    private ulong* _wakeValue;
    private int _eventFd = -1;
    private long _inFlight;
    private Exception? _setupFailure;
    private volatile bool _stopping;
    private bool _releaseOnExit;
    private int _disposed;

    /// <summary>Creates the loop; <see cref="Start"/> starts its thread, which creates the ring.</summary>
    public IoUringLoop(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _work = new LoopWorkQueue(name, Wake);
    }

    /// <summary>Called with an exception that escaped a completion or a work item; the loop keeps running.</summary>
    public Action<Exception>? UnhandledException
    {
        get => _work.UnhandledException;
        set => _work.UnhandledException = value;
    }

    /// <summary>The loop's own pool of pinned blocks for its connections' input and output, as on epoll.</summary>
    public PinnedSegmentPool SegmentPool { get; } = new();

    /// <summary>The provided-buffer ring's group, for receives with buffer selection.</summary>
    public static ushort ReceiveBufferGroup => BufferGroup;

    /// <summary>True on this loop's own thread.</summary>
    public bool IsOnLoopThread => Thread.CurrentThread == _thread;

    /// <summary>Starts the thread and waits until its ring exists; throws what creating the ring threw.</summary>
    public void Start()
    {
        _thread.Start();
        _ready.Wait();
        if (_setupFailure is { } failure)
        {
            _thread.Join();
            throw failure;
        }
    }

    /// <summary>Takes a slot for <paramref name="handler"/>'s operations. Loop thread.</summary>
    public long Register(IIoUringHandler handler)
    {
        if (!_freeSlots.TryPop(out int slot))
        {
            slot = _nextSlot++;
            if (slot == _handlers.Length)
            {
                Array.Resize(ref _handlers, slot * 2);
                Array.Resize(ref _generations, slot * 2);
            }
        }

        uint generation = (_generations[slot] + 1) & 0xFFFFFF;
        _generations[slot] = generation;
        _handlers[slot] = handler;
        return ((long)generation << 32) | (uint)slot;
    }

    /// <summary>Frees the slot: completions still to come for it are dropped. Loop thread.</summary>
    public void Unregister(long registration)
    {
        int slot = (int)(uint)registration;
        if (_generations[slot] == (uint)(registration >> 32) && _handlers[slot] is not null)
        {
            _handlers[slot] = null;
            _freeSlots.Push(slot);
        }
    }

    /// <summary>The <c>user_data</c> of an operation of <paramref name="registration"/>, of a kind of the handler's (8 or more).</summary>
    public static ulong UserData(long registration, byte kind) => ((ulong)kind << 56) | (ulong)registration;

    /// <summary>
    /// A submission entry for an operation that will complete (once, or many times for a multishot one, the last
    /// without <see cref="IoUringNative.CqeMore"/>); submitted with the loop's next turn. Loop thread.
    /// </summary>
    public byte* Prepare(byte opcode, int fd, ulong address, uint length, ulong userData)
    {
        byte* sqe = _ring!.NextSqe();
        IoUringRing.Prepare(sqe, opcode, fd, address, length, userData);
        _inFlight++;
        return sqe;
    }

    /// <summary>Cancels the operation(s) with <paramref name="userData"/> (a multishot one ends with ECANCELED). Loop thread.</summary>
    public void Cancel(ulong userData) =>
        Prepare(IoUringNative.OpAsyncCancel, -1, userData, 0, (ulong)IgnoredKind << 56);

    /// <summary>Runs <paramref name="work"/> on the loop's thread soon; callable from any thread.</summary>
    public void Post(IReactorWork work) => _work.Post(work, IsOnLoopThread);

    /// <summary>Runs <paramref name="work"/> after every completion of the current batch. Loop thread only.</summary>
    public void RunAtEndOfBatch(IReactorWork work) => _work.RunAtEndOfBatch(work);

    /// <summary>Stops the thread (after it cancelled and collected everything in flight) and closes the ring.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping = true;
        if (!_thread.IsAlive)
        {
            return;
        }

        Wake();
        if (IsOnLoopThread)
        {
            _releaseOnExit = true;
        }
        else
        {
            _thread.Join();
        }
    }

    private void Wake()
    {
        int fd = Volatile.Read(ref _eventFd);
        if (fd >= 0)
        {
            ulong one = 1;
            ReactorNative.Write(fd, (byte*)&one, sizeof(ulong));
        }
    }

    private void Run()
    {
        try
        {
            _ring = IoUringRing.TryCreate(SubmissionEntries, CompletionEntries, out int errno)
                ?? throw ReactorErrors.Exception("io_uring_setup", errno);
            _buffers = new ProvidedBufferRing(_ring, BufferGroup, ReceiveBufferCount, ReceiveBufferSize);
            // Blocking on purpose: io_uring's read of a non-blocking eventfd would complete at once with EAGAIN.
            int eventFd = ReactorNative.EventFd(0, ReactorNative.EfdCloexec);
            if (eventFd < 0)
            {
                throw ReactorErrors.Exception("eventfd", Marshal.GetLastSystemError());
            }

            _eventFd = eventFd;
            _wakeValue = (ulong*)NativeMemory.Alloc(sizeof(ulong));
            ArmWake();
        }
        catch (Exception e)
        {
            _setupFailure = e;
            Release();
            _ready.Set();
            return;
        }

        _ready.Set();
        try
        {
            Serve();
        }
        finally
        {
            DrainInFlight();
            Release();
        }
    }

    private void Serve()
    {
        IoUringRing ring = _ring!;
        while (!_stopping)
        {
            bool wait = _work.IsEmpty;
            int errno = ring.SubmitAndWait(wait);
            if (errno != 0 && errno != IoUringNative.EIntr && errno != IoUringNative.EBusy && errno != IoUringNative.EAgain)
            {
                _work.Report(ReactorErrors.Exception("io_uring_enter", errno));
                return;
            }

            ProcessCompletions();
            _work.RunPosted();
            _work.RunEndOfBatch();
        }
    }

    private void ProcessCompletions()
    {
        IoUringRing ring = _ring!;
        ProvidedBufferRing buffers = _buffers!;
        bool buffersReturned = false;
        ring.CompletionRange(out uint head, out uint tail);
        while (head != tail)
        {
            for (; head != tail; head++)
            {
                byte* cqe = ring.Completion(head);
                ulong userData = *(ulong*)cqe;
                int result = *(int*)(cqe + 8);
                uint flags = *(uint*)(cqe + 12);
                if ((flags & IoUringNative.CqeMore) == 0)
                {
                    _inFlight--;
                }

                byte* buffer = null;
                ushort bufferId = 0;
                if ((flags & IoUringNative.CqeBuffer) != 0)
                {
                    bufferId = (ushort)(flags >> IoUringNative.CqeBufferShift);
                    buffer = buffers.Buffer(bufferId);
                }

                Dispatch(userData, result, flags, buffer);
                if (buffer is not null)
                {
                    buffers.Add(bufferId);
                    buffersReturned = true;
                }
            }

            // Completions run handlers, which may prepare operations but never wait: give this batch back, then
            // take what arrived meanwhile (without DEFER_TASKRUN the kernel may post while we read). The buffers go
            // back with each round: a receive submitted early (a full submission ring is flushed within the batch)
            // must not find the ring empty for want of buffers this batch already read.
            ring.AdvanceCompletions(head);
            if (buffersReturned)
            {
                buffers.Publish();
                buffersReturned = false;
            }

            ring.CompletionRange(out head, out tail);
        }
    }

    private void Dispatch(ulong userData, int result, uint flags, byte* buffer)
    {
        byte kind = (byte)(userData >> 56);
        if (kind == WakeKind)
        {
            if (!_stopping)
            {
                ArmWake();
            }

            return;
        }

        if (kind == IgnoredKind)
        {
            return;
        }

        int slot = (int)(uint)userData;
        uint generation = (uint)(userData >> 32) & 0xFFFFFF;
        IIoUringHandler? handler = slot < _handlers.Length ? _handlers[slot] : null;
        if (handler is null || _generations[slot] != generation)
        {
            // A freed slot's late completion (a cancelled receive): nothing to do but give its buffer back.
            return;
        }

        try
        {
            handler.OnCompletion(kind, result, flags, buffer);
        }
        catch (Exception e)
        {
            _work.Report(e);
        }
    }

    private void ArmWake() =>
        Prepare(IoUringNative.OpRead, _eventFd, (ulong)_wakeValue, sizeof(ulong), (ulong)WakeKind << 56);

    /// <summary>
    /// Cancels everything still in flight and collects the completions, so that the kernel holds no buffer of ours
    /// (and no file: an accept or receive in flight keeps its socket open) when the memory is freed.
    /// </summary>
    private void DrainInFlight()
    {
        if (_ring is not { } ring)
        {
            return;
        }

        try
        {
            byte* sqe = ring.NextSqe();
            IoUringRing.Prepare(sqe, IoUringNative.OpAsyncCancel, -1, 0, 0, (ulong)IgnoredKind << 56);
            IoUringRing.SetOperationFlags(sqe, IoUringNative.CancelAny | IoUringNative.CancelAll);
            _inFlight++;
            // Each turn collects at least one completion; what was cancelled completes at once.
            for (int turns = 0; _inFlight > 0 && turns < 10_000; turns++)
            {
                int errno = ring.SubmitAndWait(wait: true);
                if (errno != 0 && errno != IoUringNative.EIntr && errno != IoUringNative.EBusy && errno != IoUringNative.EAgain)
                {
                    break;
                }

                ProcessCompletions();
            }
        }
        catch (Exception e)
        {
            _work.Report(e);
        }
    }

    private void Release()
    {
        if (_releaseOnExit || !_thread.IsAlive || IsOnLoopThread)
        {
            _buffers?.Dispose();
            _ring?.Dispose();
            int fd = Interlocked.Exchange(ref _eventFd, -1);
            if (fd >= 0)
            {
                ReactorNative.Close(fd);
            }

            if (_wakeValue is not null)
            {
                NativeMemory.Free(_wakeValue);
                _wakeValue = null;
            }
        }
    }
}
