using System.Runtime.InteropServices;
using SocketServer.Internal.IoUring;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// The io_uring transport: completions. One multishot receive stays armed while the connection wants input; each of
/// its completions is copied from the ring's provided buffer into the connection's blocks (the buffer goes back to
/// the ring at once, so an idle connection holds none), running the handler inline as epoll's read does. Sends go
/// one at a time, from the send queue's blocks (<c>IORING_OP_SEND</c>, or <c>SENDMSG</c> over several blocks),
/// with the loop's next <c>io_uring_enter</c>; what is flushed meanwhile goes with the next one when it completes.
/// </summary>
/// <remarks>
/// The blocks of a send in flight stay in the queue, untouched, until its completion: the kernel reads them. A send
/// in flight counts as waiting for the socket (<see cref="OnSendWaiting"/>) until it completes in full
/// (<see cref="OnSendCaughtUp"/>). Back-pressure on input cancels the receive, and reading
/// resumes by arming it again; bytes that completed while the cancellation was on its way are kept.
/// </remarks>
internal unsafe partial class DuplexConnection
{
    private const byte ReceiveKind = 8;
    private const byte SendKind = 9;

    // struct msghdr on 64-bit Linux: name, namelen (+pad), iov, iovlen, control, controllen, flags (+pad).
    private const int MessageHeaderSize = 56;

    private byte* _sendMessage;
    private long _sendAttempted;
    private Exception? _deferredFinishError;
    private bool _finishDeferred;
    private bool _receiveArmed;
    private bool _receiveCancelling;

    /// <inheritdoc/>
    public void OnCompletion(byte kind, int result, uint flags, byte* buffer)
    {
        if (kind == ReceiveKind)
        {
            OnReceived(result, flags, buffer);
        }
        else if (kind == SendKind)
        {
            OnSent(result);
        }
    }

    private void StartIoUring()
    {
        if (_registered || _readStopped)
        {
            return;
        }

        _registration = _ring!.Register(this);
        _registered = true;
        ArmReceive();
    }

    private void DetachIoUring()
    {
        CancelIoUringReceive();
        _ring!.Unregister(_registration);
        if (_sendMessage is not null && !_waitingWritable)
        {
            NativeMemory.Free(_sendMessage);
            _sendMessage = null;
        }
    }

    private bool CanReceive => _registered && !_readStopped && !_readPaused;

    private void ArmReceive()
    {
        byte* sqe = _ring!.Prepare(IoUringNative.OpRecv, Fd, 0, 0, IoUringLoop.UserData(_registration, ReceiveKind));
        IoUringRing.SetFlags(sqe, IoUringNative.SqeBufferSelect);
        IoUringRing.SetIoPriority(sqe, IoUringNative.RecvMultishot);
        IoUringRing.SetBufferGroup(sqe, IoUringLoop.ReceiveBufferGroup);
        _receiveArmed = true;
        _receiveCancelling = false;
    }

    /// <summary>Cancels the armed receive (it ends with ECANCELED); nothing when none is armed. Loop thread.</summary>
    private void CancelIoUringReceive()
    {
        if (_receiveArmed && !_receiveCancelling && _registered)
        {
            _receiveCancelling = true;
            _ring!.Cancel(IoUringLoop.UserData(_registration, ReceiveKind));
        }
    }

    /// <summary>After a pause: arm the receive again, unless the cancelled one has not ended yet (its end re-arms).</summary>
    private void ResumeIoUringReceive()
    {
        if (!_receiveArmed && CanReceive)
        {
            ArmReceive();
        }
    }

    /// <summary>True when no receive is armed; else cancels it and <see cref="OnReceiveStopped"/> follows its end.</summary>
    private bool StopIoUringReceive()
    {
        if (!_receiveArmed)
        {
            return true;
        }

        CancelIoUringReceive();
        return false;
    }

    private void OnReceived(int result, uint flags, byte* buffer)
    {
        if ((flags & IoUringNative.CqeMore) == 0)
        {
            _receiveArmed = false;
            _receiveCancelling = false;
        }

        if (result > 0)
        {
            if (buffer is not null && !_readStopped)
            {
                ReceiveAndSend(buffer, result);
            }
        }
        else if (result == 0)
        {
            EndInput(null);
        }
        else if (result == -IoUringNative.ENoBufs)
        {
            // The buffer ring ran dry (a burst: each completion holds a buffer until the loop reads it). Armed again
            // once this batch's completions gave their buffers back, not now: a receive armed now could be submitted
            // within the batch (a full submission ring is flushed early), find the ring still empty, fail at once and
            // be armed again, for ever, with the loop never leaving the batch to give the buffers back.
            if (!_receiveArmed && CanReceive)
            {
                Request(ReceiveAgainRequest);
                return;
            }
        }
        else if (result != -IoUringNative.ECanceled)
        {
            CancelClosedToken();
            EndInput(ReactorErrors.IOException("recv", -result));
        }

        if (_receiveArmed)
        {
            if (_readStopped || _readPaused)
            {
                CancelIoUringReceive();
            }

            return;
        }

        if (CanReceive)
        {
            ArmReceive();
        }
        else if (_readStopped && _registered)
        {
            OnReceiveStopped();
        }
    }

    /// <summary>What arrived goes to the handler, inline; then what it flushed meanwhile is sent.</summary>
    private void ReceiveAndSend(byte* data, int length)
    {
        BeginInlineRun();
        try
        {
            AppendReceived(data, length);
        }
        catch
        {
            AbandonInlineRun();
            throw;
        }

        EndInlineRun();
    }

    /// <summary>
    /// Prepares one send from the head of the queue, submitted with the loop's next turn; always false: the
    /// connection waits for its completion (an empty block is dropped at once instead, and true says to go on).
    /// </summary>
    private bool SubmitIoUringSend()
    {
        if (_waitingWritable)
        {
            // One send in flight at a time: bytes leave in order; its completion sends what was queued meanwhile.
            return false;
        }

        DuplexSegment head = _sendHead!;
        ulong userData = IoUringLoop.UserData(_registration, SendKind);
        byte* sqe;
        if (head.NextSegment is null)
        {
            _sendAttempted = head.End - head.Start;
            if (_sendAttempted == 0)
            {
                ConsumeSent(0);
                return true;
            }

            sqe = _ring!.Prepare(IoUringNative.OpSend, Fd, (ulong)(head.Address + head.Start), (uint)_sendAttempted, userData);
        }
        else
        {
            if (_sendMessage is null)
            {
                _sendMessage = (byte*)NativeMemory.AllocZeroed((nuint)(MessageHeaderSize + (ReactorNative.MaxIoVectors * sizeof(ReactorNative.IoVector))));
            }

            var vectors = (ReactorNative.IoVector*)(_sendMessage + MessageHeaderSize);
            int count = DescribeUnsent(vectors, out _sendAttempted);
            *(ReactorNative.IoVector**)(_sendMessage + 16) = vectors;
            *(nuint*)(_sendMessage + 24) = (nuint)count;
            sqe = _ring!.Prepare(IoUringNative.OpSendMsg, Fd, (ulong)_sendMessage, 1, userData);
        }

        // Stopping: the socket takes it at once or not at all (a peer that does not read is not waited for).
        IoUringRing.SetOperationFlags(sqe, (uint)(IoUringNative.MsgNoSignal | (_finalSends ? IoUringNative.MsgDontWait : 0)));
        _waitingWritable = true;
        // Waiting from now on, as far as the send rate is concerned: the completion says whether the socket took it
        // at once. (Checking after the submit instead would miss a loop that then sleeps with nothing completing.)
        OnSendWaiting(_unsentBytes, progressed: false);
        return false;
    }

    private void OnSent(int result)
    {
        _waitingWritable = false;
        if (result > 0)
        {
            Traffic?.Sent(result);
        }

        if (_finishDeferred)
        {
            // The output was finished (stopping, or the handler failed) while this send was in flight.
            _finishDeferred = false;
            Exception? error = _deferredFinishError;
            _deferredFinishError = null;
            FinishOutput(error);
            return;
        }

        if (result < 0)
        {
            CancelClosedToken();
            FinishOutput(ReactorErrors.IOException("send", -result));
            return;
        }

        ConsumeSent(result);
        if (result < _sendAttempted)
        {
            // The socket's buffer is full: what is left waits from now on, sent again at once (the kernel waits for room).
            OnSendWaiting(_unsentBytes, progressed: result > 0);
        }
        else
        {
            OnSendCaughtUp();
        }

        // A waiting flush may go on (inline) and write more, which the next send takes.
        ReleaseParkedFlush();
        SendPending();
    }

    /// <summary>The output finishes when the send in flight completes; it is cancelled (a final send, which does not wait, has completed by then).</summary>
    private void DeferFinishUntilSent(Exception? error)
    {
        if (_finishDeferred)
        {
            return;
        }

        _finishDeferred = true;
        _deferredFinishError = error;
        if (_registered)
        {
            _ring!.Cancel(IoUringLoop.UserData(_registration, SendKind));
        }
    }
}
