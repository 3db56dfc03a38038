using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;

namespace SocketServer.Internal.Reactor;

/// <summary>The input half: the loop reads into the connection's blocks; the handler reads them through <see cref="DuplexInput"/>.</summary>
internal partial class DuplexConnection
{
    /// <summary>Bytes received and not consumed at which reading stops (unless the handler waits for more).</summary>
    public const long InputPauseThreshold = 64 * 1024;

    /// <summary>The most fresh blocks a read asks for (64 KiB, as the loop's buffer was).</summary>
    private const int MaxReadBlocks = 16;

    // The received blocks: _readHead (from _readHeadIndex, the consumed position) to _readTail (to its End).
    private DuplexSegment? _readHead;
    private DuplexSegment? _readTail;
    private int _readHeadIndex;

    // Positions in the stream: everything received, consumed, examined.
    private long _received;
    private long _consumed;
    private long _examined;

    private bool _readParked;
    private bool _readPaused;
    private bool _readStopped;
    private bool _inputEnded;
    private bool _readerCompleted;
    private int _readBlocks = 1;
    private Exception? _inputError;
    private int _readCanceled;
    private ParkedWaitToken? _readWaitToken;

    // Whether the handler's own reads (through Input) are seen by the server's limits (ObserveReads), and whether the
    // read parked now is one of them; the read helpers' reads go through UnobservedInput and track themselves.
    private bool _observeReads;
    private bool _parkedObserved;
    private DuplexReader? _unobservedInput;

    /// <summary>True while reading is stopped because the application does not consume its input (back-pressure). Loop thread.</summary>
    public bool IsReadPaused => _readPaused;

    /// <summary>True when the connection holds no received block (tests; the loop's thread or a quiet connection).</summary>
    internal bool HoldsNoInputBlock => _readHead is null;

    /// <summary>
    /// From now on the handler's reads through <see cref="Input"/> are observed (<see cref="OnObservedReadWaits"/>,
    /// <see cref="OnObservedReadReturned"/>, <see cref="OnObservedReadEnded"/>): the server's limits see them as
    /// receives. Before the handler's first read.
    /// </summary>
    internal void ObserveReads() => _observeReads = true;

    /// <summary>The same input, read without being observed: for the read helpers, which tell the limits themselves.</summary>
    internal PipeReader UnobservedInput => _unobservedInput ??= new DuplexReader(this, observed: false);

    /// <summary><see cref="PipeReader.TryRead"/>; <paramref name="observed"/>: through <see cref="Input"/>.</summary>
    internal bool TryReadInput(out ReadResult result, bool observed)
    {
        bool read;
        if (OnLoopThread)
        {
            read = TryReadCore(out result);
        }
        else
        {
            lock (_input)
            {
                read = TryReadCore(out result);
            }
        }

        if (read)
        {
            NoteReturnedAtOnce(observed, result.Buffer);
        }

        return read;
    }

    /// <summary><see cref="PipeReader.ReadAsync"/>; <paramref name="observed"/>: through <see cref="Input"/>.</summary>
    internal ValueTask<ReadResult> ReadInputAsync(bool observed, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<ReadResult>(cancellationToken);
        }

        bool onLoop = OnLoopThread;
        if (!onLoop)
        {
            Monitor.Enter(_input);
        }

        try
        {
            if (_received > _examined || _inputEnded || Volatile.Read(ref _readCanceled) != 0)
            {
                // Something the handler has not seen yet: no wait (TryReadCore throws a failed input's error).
                _ = TryReadCore(out ReadResult ready);
                NoteReturnedAtOnce(observed, ready.Buffer);

                return new ValueTask<ReadResult>(ready);
            }

            ThrowIfReaderCompleted();
            // Before the read is parked (published), and before anything of it is set up, since the limits may throw
            // (a limit already cut the connection): once parked, the loop may deliver it at once. If this closes an
            // idle connection (a drain), the end of input it causes completes the read: the loop sees it parked (off
            // the loop it waits for this lock, then looks again).
            _parkedObserved = observed && _observeReads;
            if (_parkedObserved)
            {
                OnObservedReadWaits();
            }

            // Everything was examined: the read waits for more, and until then the input is the loop's alone.
            _input.Reset();
            if (cancellationToken.CanBeCanceled)
            {
                (_readWaitToken ??= new ParkedWaitToken()).Arm(static state => ((DuplexConnection)state!).OnReadTokenCanceled(), this, cancellationToken);
            }

            if (onLoop)
            {
                _readParked = true;
            }
            else
            {
                // A full fence: a CancelPendingRead that raced the parking is seen below, or sees the parking itself.
                Interlocked.Exchange(ref _readParked, true);
            }

            if (!onLoop && Volatile.Read(ref _readCanceled) != 0)
            {
                Request(ReadCheckRequest);
            }

            return new ValueTask<ReadResult>(_input, _input.Version);
        }
        finally
        {
            if (!onLoop)
            {
                Monitor.Exit(_input);
            }
        }
    }

    /// <summary><see cref="PipeReader.AdvanceTo(SequencePosition, SequencePosition)"/>.</summary>
    internal void AdvanceInput(SequencePosition consumed, SequencePosition examined)
    {
        if (OnLoopThread)
        {
            AdvanceCore(consumed, examined, onLoop: true);
            return;
        }

        lock (_input)
        {
            AdvanceCore(consumed, examined, onLoop: false);
        }
    }

    /// <summary><see cref="PipeReader.CancelPendingRead"/>: any thread; the loop completes a waiting read.</summary>
    internal void CancelPendingRead()
    {
        Interlocked.Exchange(ref _readCanceled, 1);
        Request(ReadCheckRequest);
    }

    /// <summary><see cref="PipeReader.Complete"/>: the handler reads no more; the blocks go back now and reading stops.</summary>
    internal void CompleteInput()
    {
        bool onLoop = OnLoopThread;
        if (onLoop)
        {
            CompleteInputCore(onLoop);
            return;
        }

        lock (_input)
        {
            CompleteInputCore(onLoop);
        }
    }

    /// <summary>The peer's FIN (null) or a failed read: the handler sees the end of its input. Loop thread.</summary>
    private void EndInput(Exception? error)
    {
        _readStopped = true;
        if (_ring is not null)
        {
            CancelIoUringReceive();
        }

        if (_inputEnded)
        {
            return;
        }

        if (!Volatile.Read(ref _readParked))
        {
            lock (_input)
            {
                _inputError = error;
                _inputEnded = true;
                // Read again under the lock: a handler off the loop may have parked while we waited for it, having
                // checked for the end before we set it. Then nobody else will complete its read. (One that parks
                // after this sees the end under the lock and does not park.)
                if (!Volatile.Read(ref _readParked))
                {
                    return;
                }
            }
        }
        else
        {
            _inputError = error;
            _inputEnded = true;
        }

        DeliverParked();
    }

    /// <summary>
    /// Copies what the transport received (io_uring: a provided buffer, which goes back to the ring after this) into
    /// the free end of the last block and fresh blocks; the handler's parked read completes with it, inline. Loop thread.
    /// </summary>
    private unsafe void AppendReceived(byte* data, int length)
    {
        // Parked: the handler waits for this read and touches nothing. Not parked: it may run on another thread.
        bool shared = !Volatile.Read(ref _readParked);
        if (shared)
        {
            Monitor.Enter(_input);
        }

        try
        {
            if (_readerCompleted)
            {
                _readStopped = true;
                return;
            }

            var source = new ReadOnlySpan<byte>(data, length);
            if (_readTail is { Free: > 0 } tail)
            {
                int taken = Math.Min(length, tail.Free);
                source[..taken].CopyTo(tail.FreeSpan);
                tail.End += taken;
                source = source[taken..];
            }

            while (!source.IsEmpty)
            {
                DuplexSegment block = _pool.Rent(onLoop: true);
                int taken = Math.Min(source.Length, block.Capacity);
                source[..taken].CopyTo(block.FreeSpan);
                block.End = taken;
                source = source[taken..];
                LinkReceived(block);
            }

            _received += length;
        }
        finally
        {
            if (shared)
            {
                Monitor.Exit(_input);
            }
        }

        Traffic?.Received(length);
        if (Volatile.Read(ref _readParked))
        {
            // The handler's continuation runs here, inline (it may write, finish, even abort us).
            DeliverParked();
        }

        PauseIfUnconsumed();
    }

    /// <summary>Appends a block that received bytes to the input (every block before it is full). Loop thread, the input the loop's or under the lock.</summary>
    private void LinkReceived(DuplexSegment block)
    {
        if (_readTail is { } last)
        {
            // Every block but the last is full: the sequence's positions count whole blocks.
            block.SetRunningIndex(last.RunningIndex + last.End);
            last.SetNext(block);
        }
        else
        {
            block.SetRunningIndex(_received);
            _readHead = block;
            _readHeadIndex = 0;
        }

        _readTail = block;
    }

    /// <summary>
    /// After a read: stop reading while too much is unconsumed, even when the handler waits for more having examined
    /// it all (as a pipe's pause threshold does): the bytes a connection buffers stay bounded whatever its handler
    /// does, and a message larger than the threshold must be consumed as it comes. Loop thread.
    /// </summary>
    private void PauseIfUnconsumed()
    {
        if (Volatile.Read(ref _readParked))
        {
            // The handler waits and touches nothing.
            if (_received - _consumed >= InputPauseThreshold)
            {
                _readPaused = true;
            }

            return;
        }

        lock (_input)
        {
            if (_received - _consumed >= InputPauseThreshold)
            {
                _readPaused = true;
            }
        }
    }

    /// <summary>A cancellation or a token may end the parked read. Loop thread.</summary>
    private void CheckParkedRead()
    {
        if (Volatile.Read(ref _readParked) && (Volatile.Read(ref _readCanceled) != 0 || _readWaitToken?.Fired == true))
        {
            DeliverParked();
        }
    }

    private void OnReadTokenCanceled()
    {
        _readWaitToken!.Fire();
        Request(ReadCheckRequest);
    }

    /// <summary>Completes the parked read: the handler holds the reader again. Loop thread, reader parked.</summary>
    private void DeliverParked()
    {
        Volatile.Write(ref _readParked, false);
        CancellationToken token = default;
        bool tokenCanceled = _readWaitToken?.Disarm(out token) == true;
        bool observed = _parkedObserved;
        _parkedObserved = false;
        if (tokenCanceled)
        {
            _input.SetException((observed ? OnObservedReadEnded(0) : null) ?? new OperationCanceledException(token));
            return;
        }

        if (_inputEnded && _inputError is { } error)
        {
            _input.SetException((observed ? OnObservedReadEnded(0) : null) ?? error);
            return;
        }

        bool canceled = Volatile.Read(ref _readCanceled) != 0 && Interlocked.Exchange(ref _readCanceled, 0) != 0;
        ReadOnlySequence<byte> buffered = Buffered();
        if (observed && OnObservedReadEnded(buffered.Length) is { } limit)
        {
            _input.SetException(limit);
            return;
        }

        _input.SetResult(new ReadResult(buffered, canceled, _inputEnded));
    }

    /// <summary>A read that returns bytes without waiting tells the limits, if it is observed.</summary>
    private void NoteReturnedAtOnce(bool observed, in ReadOnlySequence<byte> buffer)
    {
        if (observed && _observeReads && !buffer.IsEmpty)
        {
            OnObservedReadReturned(buffer.Length);
        }
    }

    /// <summary>An observed read is about to wait for the peer. Loop thread, or under the input's lock.</summary>
    protected virtual void OnObservedReadWaits()
    {
    }

    /// <summary>An observed read returns <paramref name="length"/> bytes (more than none) without waiting.</summary>
    protected virtual void OnObservedReadReturned(long length)
    {
    }

    /// <summary>
    /// An observed read that waited ends, with <paramref name="length"/> bytes buffered (0 when it fails): returns the
    /// exception it must end with instead (a limit cut the connection), or null. Loop thread.
    /// </summary>
    protected virtual Exception? OnObservedReadEnded(long length) => null;

    private bool TryReadCore(out ReadResult result)
    {
        ThrowIfReaderCompleted();
        bool canceled = Volatile.Read(ref _readCanceled) != 0 && Interlocked.Exchange(ref _readCanceled, 0) != 0;
        if (_inputEnded && _inputError is { } error)
        {
            // As a pipe whose writer completed with an error: every read throws it.
            throw error;
        }

        if (canceled || _inputEnded || _received > _consumed)
        {
            result = new ReadResult(Buffered(), canceled, _inputEnded);
            return true;
        }

        result = default;
        return false;
    }

    private ReadOnlySequence<byte> Buffered() =>
        _readHead is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_readHead, _readHeadIndex, _readTail!, _readTail!.End);

    private void AdvanceCore(SequencePosition consumed, SequencePosition examined, bool onLoop)
    {
        ThrowIfReaderCompleted();
        long consumedAt = PositionOf(consumed);
        long examinedAt = PositionOf(examined);
        if (consumedAt < _consumed || consumedAt > _received || examinedAt < consumedAt || examinedAt > _received)
        {
            throw new InvalidOperationException("AdvanceTo: the position is not in the buffer the last read returned, or examined is before consumed.");
        }

        _examined = examinedAt;
        _consumed = consumedAt;
        ReleaseConsumed(onLoop);
        if (_readPaused && _received - _consumed < InputPauseThreshold / 2)
        {
            Request(ResumeReadRequest);
        }
    }

    private long PositionOf(SequencePosition position) =>
        // A position of the empty buffer (nothing held) is where the stream stands: everything received.
        position.GetObject() is DuplexSegment block ? block.RunningIndex + position.GetInteger() : _received;

    /// <summary>Gives back the blocks wholly consumed, the last one too when everything was (an idle connection holds none).</summary>
    private void ReleaseConsumed(bool onLoop)
    {
        DuplexSegment? head = _readHead;
        while (head is not null && head != _readTail && head.RunningIndex + head.End <= _consumed)
        {
            DuplexSegment? next = head.NextSegment;
            _pool.Return(head, onLoop);
            head = next;
        }

        if (head is not null && _consumed == _received)
        {
            _pool.Return(head, onLoop);
            head = null;
            _readTail = null;
        }

        _readHead = head;
        _readHeadIndex = head is null ? 0 : (int)(_consumed - head.RunningIndex);
    }

    private void CompleteInputCore(bool onLoop)
    {
        if (_readerCompleted)
        {
            return;
        }

        _readerCompleted = true;
        _consumed = _received;
        _examined = _received;
        ReleaseConsumed(onLoop);
    }

    private void ThrowIfReaderCompleted()
    {
        if (_readerCompleted)
        {
            throw new InvalidOperationException("Reading is not allowed after the reader was completed.");
        }
    }
}
