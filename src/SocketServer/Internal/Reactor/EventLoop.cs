using System.Runtime.InteropServices;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// One event-loop thread: an epoll descriptor with edge-triggered registrations, an eventfd to be woken from other
/// threads, a queue of work posted from them, and an end-of-batch list run after all the events of one
/// <c>epoll_wait</c> were handled (where connections write what their handlers produced, one system call per
/// connection per batch however many messages they wrote).
/// </summary>
/// <remarks>
/// Registrations are identified by a slot in a handler table plus a generation, both stored in the epoll data: an
/// event still in the current batch for a registration that was removed (and whose slot was reused) is recognised
/// by its old generation and dropped. Registering and unregistering may happen on any thread (a short lock); events,
/// posted work and end-of-batch work run on the loop's thread only.
/// </remarks>
internal sealed unsafe class EventLoop : IConnectionLoop, IDisposable
{
    private const int MaxEventsPerWait = 256;
    private const ulong WakeData = ulong.MaxValue;

    private readonly int _epollFd;
    private readonly int _eventFd;
    private readonly Thread _thread;
    private readonly LoopWorkQueue _work;
    private readonly Lock _tableLock = new();
    private readonly byte* _events;
    private IReactorHandler?[] _handlers = new IReactorHandler?[64];
    private uint[] _generations = new uint[64];
    private readonly Stack<int> _freeSlots = new();
    private int _nextSlot;
    private volatile bool _stopping;
    private bool _releaseOnExit;
    private int _disposed;

    /// <summary>The size of <see cref="ReadBuffer"/>.</summary>
    public const int ReadBufferSize = 64 * 1024;

    /// <summary>Creates the loop's descriptors; <see cref="Start"/> starts its thread.</summary>
    public EventLoop(string name)
    {
        _epollFd = ReactorNative.EpollCreate1(ReactorNative.EpollCloexec);
        if (_epollFd < 0)
        {
            throw ReactorErrors.Exception("epoll_create1", Marshal.GetLastSystemError());
        }

        _eventFd = ReactorNative.EventFd(0, ReactorNative.EfdCloexec | ReactorNative.EfdNonblock);
        if (_eventFd < 0)
        {
            int errno = Marshal.GetLastSystemError();
            ReactorNative.Close(_epollFd);
            throw ReactorErrors.Exception("eventfd", errno);
        }

        Control(ReactorNative.EpollCtlAdd, _eventFd, ReactorNative.EpollIn | ReactorNative.EpollEt, WakeData);
        _events = (byte*)NativeMemory.Alloc((nuint)(MaxEventsPerWait * ReactorNative.EpollEventSize));
        ReadBuffer = (byte*)NativeMemory.Alloc(ReadBufferSize);
        IoVectors = (ReactorNative.IoVector*)NativeMemory.Alloc((nuint)(ReactorNative.MaxIoVectors * sizeof(ReactorNative.IoVector)));
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _work = new LoopWorkQueue(name, Wake);
    }

    /// <summary>Called with an exception that escaped an event handler or a work item; the loop keeps running.</summary>
    public Action<Exception>? UnhandledException
    {
        get => _work.UnhandledException;
        set => _work.UnhandledException = value;
    }

    /// <summary>
    /// The loop's receive buffer (<see cref="ReadBufferSize"/> bytes) for datagrams, for use on its thread only. Stream
    /// connections read into blocks of their own (<see cref="SegmentPool"/>) instead.
    /// </summary>
    public byte* ReadBuffer { get; }

    /// <summary>The loop's <c>iovec</c> array (<see cref="ReactorNative.MaxIoVectors"/> entries), for its thread only.</summary>
    public ReactorNative.IoVector* IoVectors { get; }

    /// <summary>The blocks of one <c>recvmsg</c> of a stream connection, for the loop's thread only.</summary>
    internal DuplexSegment?[] ReadBlocks { get; } = new DuplexSegment?[ReactorNative.MaxIoVectors];

    /// <summary>
    /// The loop's own pool of pinned blocks for its connections' input and output: blocks return to the loop that
    /// rented them (without an atomic operation on its thread), and a loop's steady state does not depend on what
    /// other loops (or other servers in the process) hold.
    /// </summary>
    public PinnedSegmentPool SegmentPool { get; } = new();

    /// <summary>True on this loop's own thread.</summary>
    public bool IsOnLoopThread => Thread.CurrentThread == _thread;

    /// <summary>Starts the loop's thread.</summary>
    public void Start() => _thread.Start();

    /// <summary>
    /// Registers <paramref name="fd"/> for <paramref name="events"/> (edge-triggered is added) and returns the
    /// registration, which <see cref="Unregister"/> takes back. The handler is called on the loop's thread.
    /// </summary>
    public long Register(int fd, uint events, IReactorHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        int slot;
        uint generation;
        lock (_tableLock)
        {
            if (!_freeSlots.TryPop(out slot))
            {
                slot = _nextSlot++;
                if (slot == _handlers.Length)
                {
                    // A new array, published whole: the loop thread may be reading the old one without the lock.
                    IReactorHandler?[] handlers = new IReactorHandler?[slot * 2];
                    uint[] generations = new uint[slot * 2];
                    Array.Copy(_handlers, handlers, slot);
                    Array.Copy(_generations, generations, slot);
                    _generations = generations;
                    Volatile.Write(ref _handlers, handlers);
                }
            }

            generation = ++_generations[slot];
            _handlers[slot] = handler;
        }

        long registration = ((long)generation << 32) | (uint)slot;
        try
        {
            Control(ReactorNative.EpollCtlAdd, fd, events | ReactorNative.EpollEt, (ulong)registration);
        }
        catch
        {
            FreeSlot(registration);
            throw;
        }

        return registration;
    }

    /// <summary>
    /// Removes a registration made by <see cref="Register"/>, before the descriptor is closed. Events for it still in
    /// the current batch are dropped.
    /// </summary>
    public void Unregister(long registration, int fd)
    {
        byte* ev = stackalloc byte[16];
        // EBADF or ENOENT when the descriptor is already gone: the registration went with it.
        ReactorNative.EpollCtl(_epollFd, ReactorNative.EpollCtlDel, fd, ev);
        FreeSlot(registration);
    }

    /// <summary>
    /// Forgets <paramref name="registration"/> without <c>EPOLL_CTL_DEL</c>, for a descriptor its only owner closes next
    /// (closing the last reference removes it from the epoll set; an event of it still in the current batch carries the
    /// old generation and is dropped). One system call less per connection.
    /// </summary>
    public void Forget(long registration) => FreeSlot(registration);

    /// <summary>Runs <paramref name="work"/> on the loop's thread soon; callable from any thread.</summary>
    public void Post(IReactorWork work) => _work.Post(work, IsOnLoopThread);

    /// <summary>Runs <paramref name="work"/> after every event of the current batch was handled. Loop thread only.</summary>
    public void RunAtEndOfBatch(IReactorWork work) => _work.RunAtEndOfBatch(work);

    /// <summary>Stops the thread (after the work in progress) and waits for it; closes the descriptors.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping = true;
        Wake();
        if (_thread.IsAlive && !IsOnLoopThread)
        {
            _thread.Join();
        }

        if (IsOnLoopThread)
        {
            // Stopped from one of its own callbacks: the thread releases the descriptors as it leaves Run.
            _releaseOnExit = true;
        }
        else
        {
            ReleaseDescriptors();
        }
    }

    private void ReleaseDescriptors()
    {
        ReactorNative.Close(_eventFd);
        ReactorNative.Close(_epollFd);
        NativeMemory.Free(_events);
        NativeMemory.Free(ReadBuffer);
        NativeMemory.Free(IoVectors);
    }

    private void Wake()
    {
        ulong one = 1;
        ReactorNative.Write(_eventFd, (byte*)&one, sizeof(ulong));
    }

    private void FreeSlot(long registration)
    {
        int slot = (int)(uint)registration;
        lock (_tableLock)
        {
            if (_generations[slot] == (uint)(registration >> 32) && _handlers[slot] is not null)
            {
                _handlers[slot] = null;
                _freeSlots.Push(slot);
            }
        }
    }

    private void Control(int op, int fd, uint events, ulong data)
    {
        byte* ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + ReactorNative.EpollDataOffset) = data;
        if (ReactorNative.EpollCtl(_epollFd, op, fd, ev) != 0)
        {
            throw ReactorErrors.Exception("epoll_ctl", Marshal.GetLastSystemError());
        }
    }

    private void Run()
    {
        int stride = ReactorNative.EpollEventSize;
        int dataOffset = ReactorNative.EpollDataOffset;
        while (!_stopping)
        {
            int timeout = _work.HasPosted ? 0 : -1;
            int count = ReactorNative.EpollWait(_epollFd, _events, MaxEventsPerWait, timeout);
            if (count < 0)
            {
                int errno = Marshal.GetLastSystemError();
                if (errno == ReactorNative.EIntr)
                {
                    continue;
                }

                _work.Report(ReactorErrors.Exception("epoll_wait", errno));
                break;
            }

            IReactorHandler?[] handlers = Volatile.Read(ref _handlers);
            for (int i = 0; i < count; i++)
            {
                byte* ev = _events + (i * stride);
                uint events = *(uint*)ev;
                ulong data = *(ulong*)(ev + dataOffset);
                if (data == WakeData)
                {
                    ulong value;
                    ReactorNative.Read(_eventFd, (byte*)&value, sizeof(ulong));
                    continue;
                }

                int slot = (int)(uint)data;
                if (slot >= handlers.Length)
                {
                    handlers = Volatile.Read(ref _handlers);
                }

                IReactorHandler? handler = handlers[slot];
                // A removed (or removed and reused) registration: its events belong to a closed descriptor.
                if (handler is null || Volatile.Read(ref _generations[slot]) != (uint)(data >> 32))
                {
                    continue;
                }

                try
                {
                    handler.OnEvents(events);
                }
                catch (Exception e)
                {
                    _work.Report(e);
                }
            }

            _work.RunPosted();
            _work.RunEndOfBatch();
        }

        if (_releaseOnExit)
        {
            ReleaseDescriptors();
        }
    }
}
