using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SocketServer.Internal.Reactor;

namespace SocketServer.Cli.Bench.Reactor;

/// <summary>
/// A TCP or Unix stream connection of the reactor engine, for every stream mode: pingpong (one message in flight),
/// pipeline (<c>--pipeline</c> in flight), connrate (one round trip per connection, then a new connection) and idle
/// (one round trip, then hold the connection). Echoed bytes are read into a per-connection pinned buffer and compared
/// with the pattern as they arrive; a message's latency is recorded when its last byte is verified, and the next
/// message is sent at once from the same event.
/// </summary>
internal sealed unsafe class StreamClient : ReactorClient
{
    private const int MaxReadCapacity = 64 * 1024;
    private const uint Events = ReactorNative.EpollIn | ReactorNative.EpollOut | ReactorNative.EpollRdHup;
    private const uint ReadEvents = ReactorNative.EpollIn | ReactorNative.EpollErr | ReactorNative.EpollHup | ReactorNative.EpollRdHup;

    private readonly BenchMode _mode;
    private readonly int _depth;
    private readonly long _limit;
    private readonly long[] _sentAt;
    private readonly byte[] _buffer;
    private readonly byte* _read;
    private readonly int _capacity;
    private readonly int _maxChunk;

    // The pattern offset of the current connection's first byte (connrate moves on with every connection).
    private long _base;
    private long _queued;
    private long _sent;
    private long _received;
    private long _connectStartedAt;
    private bool _connecting;
    private bool _retryOnTick;

    /// <summary>Creates the client of connection (or connrate worker) <paramref name="id"/>.</summary>
    /// <param name="run">The run.</param>
    /// <param name="loop">Its loop.</param>
    /// <param name="id">Its number.</param>
    /// <param name="stats">Where it counts.</param>
    public StreamClient(ReactorBench run, EventLoop loop, int id, WorkerStats stats)
        : base(run, loop, id, stats)
    {
        _mode = State.Options.Mode;
        _depth = _mode == BenchMode.Pipeline ? State.Options.Pipeline : 1;
        _limit = _mode is BenchMode.ConnRate or BenchMode.Idle ? 1 : long.MaxValue;
        _sentAt = new long[_depth];
        _maxChunk = State.Pattern.MaxChunk;

        // One byte more than can be in flight (up to 64 KiB): a read that does not fill the buffer drained the socket,
        // which spares the read that would only say EAGAIN (the registration is edge-triggered).
        _capacity = (int)Math.Min((long)Size * _depth, MaxReadCapacity) + 1;
        _buffer = GC.AllocateUninitializedArray<byte>(_capacity, pinned: true);
        _read = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer));
    }

    /// <inheritdoc/>
    public override void Execute() => Connect();

    /// <inheritdoc/>
    public override void OnEvents(uint events)
    {
        if (Fd < 0)
        {
            return;
        }

        if (_connecting)
        {
            if ((events & (ReactorNative.EpollOut | ReactorNative.EpollErr | ReactorNative.EpollHup)) != 0)
            {
                Connected();
            }

            return;
        }

        if ((events & ReadEvents) != 0 && !ReadAvailable())
        {
            return;
        }

        if ((events & ReactorNative.EpollOut) != 0 && _sent < _queued)
        {
            Flush();
        }
    }

    /// <inheritdoc/>
    public override void OnTick(long now)
    {
        if (_retryOnTick)
        {
            _retryOnTick = false;
            Connect();
        }
    }

    /// <inheritdoc/>
    public override void Abandon()
    {
        if (_mode == BenchMode.Idle && Fd >= 0 && !_connecting)
        {
            Stats.StayedOpen = Stats.Opened;
        }

        base.Abandon();
    }

    private void Connect()
    {
        if (Stopping)
        {
            return;
        }

        _connectStartedAt = Stopwatch.GetTimestamp();
        _queued = _sent = _received = 0;
        int errno = Open(Events);
        if (errno == 0)
        {
            _connecting = true;
        }
        else if (errno == ReactorNative.EAgain)
        {
            // A Unix socket whose listen backlog is full: try again at the next tick.
            _retryOnTick = true;
        }
        else
        {
            Count(ErrorKind.Connect);
            ConnectionFailed(retryLater: true);
        }
    }

    private void Connected()
    {
        int errno = ConnectResult();
        if (errno != 0)
        {
            CloseSocket();
            Count(ErrorKind.Connect);
            ConnectionFailed(retryLater: true);
            return;
        }

        _connecting = false;
        FillWindow(Stopwatch.GetTimestamp());
    }

    // Queues as many messages as the window allows and sends them. False if the connection failed.
    private bool FillWindow(long now)
    {
        long started = _queued / Size;
        long inFlight = started - (_received / Size);
        long more = Math.Min(_depth - inFlight, _limit - started);
        if (more <= 0)
        {
            return true;
        }

        for (long message = started; message < started + more; message++)
        {
            _sentAt[message % _depth] = now;
        }

        _queued += more * Size;
        return Flush();
    }

    // Sends what is queued until it is all sent or the socket is full (a writable event resumes). False if it failed.
    private bool Flush()
    {
        while (_sent < _queued)
        {
            int length = (int)Math.Min(_queued - _sent, _maxChunk);
            nint sent;
            fixed (byte* bytes = PatternBytes(_base + _sent, length))
            {
                sent = ReactorNative.Send(Fd, bytes, (nuint)length, ReactorNative.MsgNoSignal);
            }

            if (sent < 0)
            {
                int errno = Marshal.GetLastSystemError();
                if (errno == ReactorNative.EAgain)
                {
                    return true;
                }

                if (errno != ReactorNative.EIntr)
                {
                    Fail(Classify(errno));
                    return false;
                }

                continue;
            }

            _sent += sent;
        }

        return true;
    }

    // Reads and verifies until the socket is drained. False if the connection was closed (failed, or connrate's
    // round trip is done and a new connection started): the caller must not touch the socket again.
    private bool ReadAvailable()
    {
        while (true)
        {
            nint read = ReactorNative.Recv(Fd, _read, (nuint)_capacity, 0);
            if (read > 0)
            {
                // More than was sent, or different bytes, is a wrong echo.
                if (read > _sent - _received
                    || !State.Pattern.Matches(Seed, _base + _received, new ReadOnlySpan<byte>(_read, (int)read)))
                {
                    Fail(ErrorKind.Mismatch);
                    return false;
                }

                long first = _received / Size;
                _received += read;
                long last = _received / Size;
                if (last > first && !Completed(first, last))
                {
                    return false;
                }

                if (read < _capacity)
                {
                    return true;
                }

                continue;
            }

            if (read == 0)
            {
                Fail(ErrorKind.Reset);
                return false;
            }

            int errno = Marshal.GetLastSystemError();
            if (errno == ReactorNative.EAgain)
            {
                return true;
            }

            if (errno != ReactorNative.EIntr)
            {
                Fail(Classify(errno));
                return false;
            }
        }
    }

    // Messages first..last-1 came back whole. False if the connection was closed.
    private bool Completed(long first, long last)
    {
        long now = Stopwatch.GetTimestamp();
        switch (_mode)
        {
            case BenchMode.Idle:
                // Recorded even during the warm-up: idle mode's one round trip per connection is all there is.
                Stats.Record(now - _sentAt[0], Size);
                Stats.Opened = true;
                return true;

            case BenchMode.ConnRate:
                State.Record(Stats, _connectStartedAt, now, Size);
                CloseSocket();
                _base += Size;
                Connect();
                return false;

            default:
                for (long message = first; message < last; message++)
                {
                    State.Record(Stats, _sentAt[message % _depth], now, Size);
                }

                return FillWindow(now);
        }
    }

    private void Fail(ErrorKind kind)
    {
        Count(kind);
        CloseSocket();
        ConnectionFailed(retryLater: false);
    }

    // A connection failed (already counted and closed): connrate goes on with a new one, other modes end the client.
    private void ConnectionFailed(bool retryLater)
    {
        _connecting = false;
        if (_mode != BenchMode.ConnRate)
        {
            End();
            return;
        }

        _base += Size;
        if (retryLater)
        {
            // After the other events of this batch: a refused connect fails at once and would otherwise spin here.
            Loop.Post(this);
        }
        else
        {
            Connect();
        }
    }
}
