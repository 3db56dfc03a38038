using System.Runtime.InteropServices;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// The epoll transport: readiness. An edge-triggered registration for input, output and the peer's FIN; reads
/// (<c>recvmsg</c> into fresh blocks) until a short read or EAGAIN, running the handler inline; sends
/// (<c>send</c>/<c>sendmsg</c> from the send queue's blocks) until the queue is empty or EAGAIN, then EPOLLOUT.
/// </summary>
internal partial class DuplexConnection
{
    /// <inheritdoc/>
    public void OnEvents(uint events)
    {
        if ((events & (ReactorNative.EpollIn | ReactorNative.EpollRdHup | ReactorNative.EpollHup | ReactorNative.EpollErr)) != 0 && !_readPaused)
        {
            // When the peer's FIN came with this edge, no later edge will announce it: read up to the end.
            ReadAndSend(untilEmpty: (events & (ReactorNative.EpollRdHup | ReactorNative.EpollHup | ReactorNative.EpollErr)) != 0);
        }

        if ((events & (ReactorNative.EpollOut | ReactorNative.EpollHup | ReactorNative.EpollErr)) != 0 && _waitingWritable)
        {
            _waitingWritable = false;
            SendPending();
        }
    }

    private void StartEpoll()
    {
        _registration = _epoll!.Register(
            Fd,
            ReactorNative.EpollIn | ReactorNative.EpollOut | ReactorNative.EpollRdHup,
            this);
        _registered = true;
    }

    /// <summary>Reads what arrived, running the application inline, then sends what it flushed meanwhile.</summary>
    private void ReadAndSend(bool untilEmpty)
    {
        BeginInlineRun();
        try
        {
            ReadAvailable(untilEmpty);
        }
        catch
        {
            AbandonInlineRun();
            throw;
        }

        EndInlineRun();
    }

    private unsafe void ReadAvailable(bool untilEmpty)
    {
        while (!_readStopped && !_readPaused)
        {
            // Parked: the handler waits for this read and touches nothing. Not parked: it may run on another thread.
            bool shared = !Volatile.Read(ref _readParked);
            nint read;
            int attempted;
            int errno = 0;
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

                read = ReceiveIntoBlocks(out attempted);
                if (read < 0)
                {
                    errno = Marshal.GetLastPInvokeError();
                }
            }
            finally
            {
                if (shared)
                {
                    Monitor.Exit(_input);
                }
            }

            if (read > 0)
            {
                Traffic?.Received(read);
                _readBlocks = NextReadBlocks(read, attempted);
                if (Volatile.Read(ref _readParked))
                {
                    // The handler's continuation runs here, inline (it may write, finish, even abort us).
                    DeliverParked();
                }

                PauseIfUnconsumed();

                if (read < attempted && !untilEmpty)
                {
                    // A short read emptied the socket; the next arrival raises a new edge.
                    return;
                }

                continue;
            }

            if (read == 0)
            {
                EndInput(null);
                return;
            }

            if (errno == ReactorNative.EAgain)
            {
                return;
            }

            if (errno != ReactorNative.EIntr)
            {
                CancelClosedToken();
                EndInput(ReactorErrors.IOException("read", errno));
                return;
            }
        }
    }

    /// <summary>
    /// How many fresh blocks the read after one of <paramref name="read"/> bytes (of <paramref name="attempted"/>)
    /// asks for: all it may take after a read that filled everything (a burst of pipelined requests is taken in one
    /// call); one after a small read (at most half a block), so that a conversation of small messages reads with a
    /// plain <c>recv</c> into one block (<see cref="ReactorNative.ReceiveInto"/>); else a block more than it needed.
    /// A small read followed by a larger message costs one more call, the first read filling its block.
    /// </summary>
    private static int NextReadBlocks(nint read, int attempted)
    {
        if (read == attempted)
        {
            return MaxReadBlocks;
        }

        return read <= DuplexSegment.BlockSize / 2 ? 1 : Math.Min((int)(read / DuplexSegment.BlockSize) + 2, MaxReadBlocks);
    }

    /// <summary>
    /// One read (<c>recv</c> or <c>recvmsg</c>) into the free end of the last block and fresh blocks from the loop's
    /// pool; the fresh blocks that received nothing go straight back. Loop thread, the input the loop's (parked) or
    /// under the lock.
    /// </summary>
    private unsafe nint ReceiveIntoBlocks(out int attempted)
    {
        ReactorNative.IoVector* vectors = _epoll!.IoVectors;
        DuplexSegment?[] fresh = _epoll.ReadBlocks;
        int count = 0;
        attempted = 0;
        DuplexSegment? tail = _readTail;
        int tailFree = tail?.Free ?? 0;
        if (tailFree > 0)
        {
            vectors[0].Base = tail!.Address + tail.End;
            vectors[0].Length = (nuint)tailFree;
            attempted = tailFree;
            count = 1;
        }

        int blocks = _readBlocks;
        for (int i = 0; i < blocks; i++)
        {
            DuplexSegment block = _pool.Rent(onLoop: true);
            fresh[i] = block;
            vectors[count].Base = block.Address;
            vectors[count].Length = (nuint)block.Capacity;
            attempted += block.Capacity;
            count++;
        }

        nint read = ReactorNative.ReceiveInto(Fd, vectors, count);
        // The error the call saved (SetLastError), not errno now: ReceiveInto returned through managed code.
        int errno = Marshal.GetLastPInvokeError();
        int used = 0;
        if (read > 0)
        {
            long remaining = read;
            if (tailFree > 0)
            {
                int taken = (int)Math.Min(remaining, tailFree);
                tail!.End += taken;
                remaining -= taken;
            }

            while (remaining > 0)
            {
                DuplexSegment block = fresh[used]!;
                fresh[used++] = null;
                int taken = (int)Math.Min(remaining, block.Capacity);
                block.End = taken;
                remaining -= taken;
                LinkReceived(block);
            }

            _received += read;
        }

        for (int i = used; i < blocks; i++)
        {
            _pool.Return(fresh[i]!, onLoop: true);
            fresh[i] = null;
        }

        Marshal.SetLastPInvokeError(errno);
        return read;
    }

    /// <summary>
    /// One attempt to send from the head of the queue: false when the connection must wait (the socket is full,
    /// EPOLLOUT will say when it has room) or the output failed; true when the socket took everything attempted.
    /// </summary>
    private bool TrySendEpoll()
    {
        nint written = SendOnce(out long attempted);
        if (written < 0)
        {
            // Saved by the call itself: SendOnce (and SendFrom) return through managed code first.
            int errno = Marshal.GetLastPInvokeError();
            if (errno == ReactorNative.EAgain)
            {
                _waitingWritable = true;
                OnSendWaiting(_unsentBytes, progressed: false);
                return false;
            }

            if (errno == ReactorNative.EIntr)
            {
                return true;
            }

            CancelClosedToken();
            FinishOutput(ReactorErrors.IOException("send", errno));
            return false;
        }

        Traffic?.Sent(written);
        ConsumeSent(written);
        if (written < attempted)
        {
            // The socket's buffer is full; EPOLLOUT (edge) says when it has room.
            _waitingWritable = true;
            OnSendWaiting(_unsentBytes, progressed: written > 0);
            ReleaseParkedFlush();
            return false;
        }

        ReleaseParkedFlush();
        return true;
    }

    private unsafe nint SendOnce(out long attempted)
    {
        ReactorNative.IoVector* vectors = _epoll!.IoVectors;
        int count = DescribeUnsent(vectors, out attempted);
        return ReactorNative.SendFrom(Fd, vectors, count);
    }
}
