using System.IO.Pipelines;
using System.Runtime.InteropServices;

namespace SocketServer.Internal.Reactor;

/// <summary>The output half: the handler writes into blocks through <see cref="DuplexOutput"/>; the loop sends from them.</summary>
internal partial class DuplexConnection
{
    /// <summary>Bytes waiting to be sent at which the application's flush waits.</summary>
    public const long OutputPauseThreshold = 64 * 1024;

    /// <summary>Blocks waiting to be sent at which the application's flush waits (many small flushes from another thread each hand over a block).</summary>
    public const int OutputPauseBlocks = 32;

    /// <summary>A flush of at most this many bytes in one block is copied after the last unsent block when it fits, rather than queued as a block of its own.</summary>
    private const int CoalesceLimit = 1024;

    // What the handler wrote and has not flushed: its own, whatever thread it runs on.
    private DuplexSegment? _stageHead;
    private DuplexSegment? _stageTail;
    private long _staged;
    private bool _writerCompleted;

    // What was flushed and is not sent yet: the loop's.
    private DuplexSegment? _sendHead;
    private DuplexSegment? _sendTail;
    private long _unsentBytes;
    private int _unsentBlocks;
    private bool _writerDone;
    private bool _flushParked;
    private bool _outputFinished;
    private bool _waitingWritable;

    // Stopping: sends go out only if the socket takes them at once (io_uring: MSG_DONTWAIT; epoll tries once anyway).
    private bool _finalSends;

    // What handlers on other threads flushed, for the loop to take: under the lock.
    private DuplexSegment? _inboxHead;
    private DuplexSegment? _inboxTail;
    private long _inboxBytes;
    private int _inboxBlocks;
    private bool _inboxCompleted;
    private Exception? _inboxError;
    private bool _inboxPending;

    private int _flushCanceled;
    private ParkedWaitToken? _flushWaitToken;

    /// <summary>True once everything written was sent after the application completed <see cref="Output"/>, or sending failed.</summary>
    public bool IsOutputFinished => Volatile.Read(ref _outputFinished);

    /// <summary>True while a flush waits for the sends to catch up (back-pressure). Loop thread.</summary>
    internal bool IsFlushWaiting => _flushParked;

    /// <summary>True while a send waits: epoll for EPOLLOUT (the socket is full), io_uring for the send in flight. Loop thread.</summary>
    internal bool IsSendBlocked => _waitingWritable;

    /// <summary>True when the connection holds no output block (tests; the loop's thread or a quiet connection).</summary>
    internal bool HoldsNoOutputBlock => _sendHead is null && _stageHead is null;

    /// <summary><see cref="PipeWriter.UnflushedBytes"/>.</summary>
    internal long UnflushedBytes => _staged;

    /// <summary><see cref="PipeWriter.GetMemory"/>.</summary>
    internal Memory<byte> GetOutputMemory(int sizeHint) => WritableBlock(sizeHint).FreeMemory;

    /// <summary><see cref="PipeWriter.GetSpan"/>.</summary>
    internal Span<byte> GetOutputSpan(int sizeHint) => WritableBlock(sizeHint).FreeSpan;

    /// <summary><see cref="PipeWriter.Advance"/>.</summary>
    internal void AdvanceOutput(int bytes)
    {
        DuplexSegment? tail = _stageTail;
        if (bytes < 0 || bytes > (tail?.Free ?? 0))
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "Advance: more bytes than the memory GetMemory/GetSpan returned.");
        }

        if (bytes > 0)
        {
            tail!.End += bytes;
            _staged += bytes;
        }
    }

    /// <summary><see cref="PipeWriter.FlushAsync"/>.</summary>
    internal ValueTask<FlushResult> FlushOutputAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<FlushResult>(cancellationToken);
        }

        bool onLoop = OnLoopThread;
        Commit(onLoop);
        if (Volatile.Read(ref _flushCanceled) != 0 && Interlocked.Exchange(ref _flushCanceled, 0) != 0)
        {
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: true, isCompleted: false));
        }

        if (Volatile.Read(ref _outputFinished))
        {
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: true));
        }

        if (onLoop)
        {
            if (!OverPauseThreshold())
            {
                return default;
            }

            PrepareFlushWait(cancellationToken);
            _flushParked = true;
        }
        else
        {
            // An estimate, read without the loop: a flush that waits needlessly is released by the loop at once.
            if (Volatile.Read(ref _unsentBytes) + Volatile.Read(ref _inboxBytes) < OutputPauseThreshold
                && Volatile.Read(ref _unsentBlocks) + Volatile.Read(ref _inboxBlocks) < OutputPauseBlocks)
            {
                return default;
            }

            PrepareFlushWait(cancellationToken);
            // The loop decides whether it waits (and completes it), so no wake-up can be lost between us.
            Request(FlushWaitRequest);
        }

        return new ValueTask<FlushResult>(_output, _output.Version);
    }

    /// <summary><see cref="PipeWriter.CancelPendingFlush"/>: any thread; the loop completes a waiting flush.</summary>
    internal void CancelPendingFlush()
    {
        Interlocked.Exchange(ref _flushCanceled, 1);
        Request(FlushCheckRequest);
    }

    /// <summary><see cref="PipeWriter.Complete"/>: what was written is sent, then the output is finished (an error drops it).</summary>
    internal void CompleteOutput(Exception? exception)
    {
        if (_writerCompleted)
        {
            return;
        }

        _writerCompleted = true;
        if (OnLoopThread)
        {
            Commit(onLoop: true);
            TakeInboxIfPending();
            WriterCompleted(exception);
            return;
        }

        DetachStaged(out DuplexSegment? head, out DuplexSegment? tail, out long bytes);
        if (bytes == 0)
        {
            ReturnChain(head, onLoop: false);
            head = null;
            tail = null;
        }

        lock (_input)
        {
            AppendToInbox(head, tail, bytes);
            _inboxCompleted = true;
            _inboxError = exception;
            Volatile.Write(ref _inboxPending, true);
        }

        Request(SendRequest);
    }

    private DuplexSegment WritableBlock(int sizeHint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        if (_writerCompleted)
        {
            throw new InvalidOperationException("Writing is not allowed after the writer was completed.");
        }

        DuplexSegment? tail = _stageTail;
        if (tail is not null && tail.Free >= Math.Max(sizeHint, 1))
        {
            return tail;
        }

        DuplexSegment block = _pool.Rent(sizeHint, OnLoopThread);
        if (tail is null)
        {
            _stageHead = block;
        }
        else
        {
            tail.SetNext(block);
        }

        _stageTail = block;
        return block;
    }

    /// <summary>Hands what the handler wrote to the loop: directly on its thread, through the inbox from another.</summary>
    private void Commit(bool onLoop)
    {
        if (_stageHead is null)
        {
            return;
        }

        DetachStaged(out DuplexSegment? head, out DuplexSegment? tail, out long bytes);
        if (bytes == 0)
        {
            // Memory asked for and nothing written (a write of an empty span does that): nothing to send.
            ReturnChain(head, onLoop);
            return;
        }

        if (onLoop)
        {
            TakeInboxIfPending();
            QueueForSend(head!, tail!, bytes, CountBlocks(head));
            ScheduleSend();
            return;
        }

        lock (_input)
        {
            AppendToInbox(head, tail, bytes);
            Volatile.Write(ref _inboxPending, true);
        }

        Request(SendRequest);
    }

    private void DetachStaged(out DuplexSegment? head, out DuplexSegment? tail, out long bytes)
    {
        head = _stageHead;
        tail = _stageTail;
        bytes = _staged;
        _stageHead = null;
        _stageTail = null;
        _staged = 0;
    }

    /// <summary>Under the lock.</summary>
    private void AppendToInbox(DuplexSegment? head, DuplexSegment? tail, long bytes)
    {
        if (head is null)
        {
            return;
        }

        if (_inboxTail is null)
        {
            _inboxHead = head;
        }
        else
        {
            _inboxTail.SetNext(head);
        }

        _inboxTail = tail;
        Volatile.Write(ref _inboxBytes, _inboxBytes + bytes);
        Volatile.Write(ref _inboxBlocks, _inboxBlocks + CountBlocks(head));
    }

    private static int CountBlocks(DuplexSegment? head)
    {
        int count = 0;
        for (DuplexSegment? block = head; block is not null; block = block.NextSegment)
        {
            count++;
        }

        return count;
    }

    private void TakeInboxIfPending()
    {
        if (Volatile.Read(ref _inboxPending))
        {
            TakeInbox();
        }
    }

    /// <summary>Takes what other threads flushed (and a completion), in order, into the send queue. Loop thread.</summary>
    private void TakeInbox()
    {
        DuplexSegment? head;
        DuplexSegment? tail;
        long bytes;
        int blocks;
        bool completed;
        Exception? error;
        lock (_input)
        {
            head = _inboxHead;
            tail = _inboxTail;
            bytes = _inboxBytes;
            blocks = _inboxBlocks;
            completed = _inboxCompleted;
            error = _inboxError;
            _inboxHead = null;
            _inboxTail = null;
            _inboxError = null;
            _inboxCompleted = false;
            Volatile.Write(ref _inboxBytes, 0);
            Volatile.Write(ref _inboxBlocks, 0);
            Volatile.Write(ref _inboxPending, false);
        }

        if (head is not null)
        {
            QueueForSend(head, tail!, bytes, blocks);
        }

        if (completed)
        {
            WriterCompleted(error);
        }
    }

    /// <summary>Appends flushed blocks to the send queue; a small single block is copied into the last one's room. Loop thread.</summary>
    private void QueueForSend(DuplexSegment head, DuplexSegment tail, long bytes, int blocks)
    {
        if (_outputFinished)
        {
            // Nobody sends any more (the peer is gone or the connection was aborted): the blocks go back.
            ReturnChain(head);
            return;
        }

        if (head == tail && bytes <= CoalesceLimit && _sendTail is { } last && last.Free >= bytes)
        {
            head.Unsent.CopyTo(last.FreeSpan);
            last.End += (int)bytes;
            _pool.Return(head, onLoop: true);
        }
        else
        {
            if (_sendTail is null)
            {
                _sendHead = head;
            }
            else
            {
                _sendTail.SetNext(head);
            }

            _sendTail = tail;
            Volatile.Write(ref _unsentBlocks, _unsentBlocks + blocks);
        }

        Volatile.Write(ref _unsentBytes, _unsentBytes + bytes);
    }

    /// <summary>The handler completed its output: once the rest is sent, the output is finished; an error drops the rest. Loop thread.</summary>
    private void WriterCompleted(Exception? error)
    {
        _writerDone = true;
        if (error is not null)
        {
            CancelClosedToken();
            FinishOutput(error);
            return;
        }

        ScheduleSend();
    }

    /// <summary>Sends what was flushed until the socket is full or nothing is left. Loop thread.</summary>
    private void SendPending()
    {
        while (!_outputFinished)
        {
            TakeInboxIfPending();
            if (_outputFinished)
            {
                return;
            }

            if (_sendHead is null)
            {
                if (_writerDone)
                {
                    FinishOutput(null);
                    return;
                }

                OnSendCaughtUp();
                // A waiting flush goes on inline and may write more, which this loop then sends.
                if (!ReleaseParkedFlush() || _sendHead is null)
                {
                    return;
                }

                continue;
            }

            if (!(_ring is null ? TrySendEpoll() : SubmitIoUringSend()))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Fills <paramref name="vectors"/> (<see cref="ReactorNative.MaxIoVectors"/> entries) with the unsent part of the
    /// queue's blocks, from its head, empty blocks skipped: the vector of one <c>sendmsg</c>.
    /// Returns how many entries it filled; <paramref name="attempted"/> is their bytes. Loop thread.
    /// </summary>
    private unsafe int DescribeUnsent(ReactorNative.IoVector* vectors, out long attempted)
    {
        int count = 0;
        attempted = 0;
        for (DuplexSegment? block = _sendHead; block is not null && count < ReactorNative.MaxIoVectors; block = block.NextSegment)
        {
            int length = block.End - block.Start;
            if (length == 0)
            {
                continue;
            }

            vectors[count].Base = block.Address + block.Start;
            vectors[count].Length = (nuint)length;
            attempted += length;
            count++;
        }

        return count;
    }

    /// <summary>Drops what was sent from the queue; sent blocks go back to the pool. Loop thread.</summary>
    private void ConsumeSent(long written)
    {
        long remaining = written;
        DuplexSegment? block = _sendHead;
        while (block is not null && remaining >= block.End - block.Start)
        {
            remaining -= block.End - block.Start;
            DuplexSegment? next = block.NextSegment;
            _pool.Return(block, onLoop: true);
            _unsentBlocks--;
            block = next;
        }

        if (block is not null)
        {
            block.Start += (int)remaining;
        }
        else
        {
            _sendTail = null;
        }

        _sendHead = block;
        Volatile.Write(ref _unsentBlocks, _unsentBlocks);
        Volatile.Write(ref _unsentBytes, _unsentBytes - written);
    }

    private bool OverPauseThreshold() => _unsentBytes >= OutputPauseThreshold || _unsentBlocks >= OutputPauseBlocks;

    private void PrepareFlushWait(CancellationToken cancellationToken)
    {
        _output.Reset();
        if (cancellationToken.CanBeCanceled)
        {
            (_flushWaitToken ??= new ParkedWaitToken()).Arm(static state => ((DuplexConnection)state!).OnFlushTokenCanceled(), this, cancellationToken);
        }
    }

    private void OnFlushTokenCanceled()
    {
        _flushWaitToken!.Fire();
        Request(FlushCheckRequest);
    }

    /// <summary>A flush from another thread that may have to wait: it does now, until the sends catch up. Loop thread.</summary>
    private void ParkFlush()
    {
        _flushParked = true;
        CheckParkedFlush();
        ReleaseParkedFlush();
    }

    /// <summary>Completes the waiting flush once the unsent bytes fell below half the threshold (or output finished). Loop thread.</summary>
    private bool ReleaseParkedFlush()
    {
        if (!_flushParked)
        {
            return false;
        }

        if (!_outputFinished && (_unsentBytes >= OutputPauseThreshold / 2 || _unsentBlocks >= OutputPauseBlocks / 2))
        {
            return false;
        }

        CompleteParkedFlush(new FlushResult(isCanceled: false, isCompleted: _outputFinished));
        return true;
    }

    /// <summary>A cancellation or a token may end the waiting flush. Loop thread.</summary>
    private void CheckParkedFlush()
    {
        if (!_flushParked)
        {
            return;
        }

        if (_flushWaitToken?.Fired == true || (Volatile.Read(ref _flushCanceled) != 0 && Interlocked.Exchange(ref _flushCanceled, 0) != 0))
        {
            CompleteParkedFlush(new FlushResult(isCanceled: true, isCompleted: false));
        }
    }

    private void CompleteParkedFlush(FlushResult result)
    {
        _flushParked = false;
        CancellationToken token = default;
        if (_flushWaitToken?.Disarm(out token) == true)
        {
            _output.SetException(new OperationCanceledException(token));
            return;
        }

        _output.SetResult(result);
    }

    private void FinishOutput(Exception? error)
    {
        if (_outputFinished)
        {
            return;
        }

        if (_ring is not null && _waitingWritable)
        {
            // io_uring: the kernel still reads the queue's blocks for the send in flight. Cancelled, unless it is a
            // final send (it does not wait, so it completes at once); its completion finishes the output.
            DeferFinishUntilSent(error);
            return;
        }

        Volatile.Write(ref _outputFinished, true);
        ReturnChain(_sendHead);
        _sendHead = null;
        _sendTail = null;
        Volatile.Write(ref _unsentBytes, 0);
        Volatile.Write(ref _unsentBlocks, 0);
        TakeInboxIfPending();
        OnSendCaughtUp();
        ReleaseParkedFlush();
        OnOutputFinished(error);
    }

    private void ReturnChain(DuplexSegment? head, bool onLoop = true)
    {
        while (head is not null)
        {
            DuplexSegment? next = head.NextSegment;
            _pool.Return(head, onLoop);
            head = next;
        }
    }
}
