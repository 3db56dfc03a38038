using SocketServer.Internal.Reactor;

namespace SocketServer.Internal.Proxy;

/// <summary>
/// What the loop transports' PROXY header readers share: the deadline (a timer on the server's clock, posted to the
/// loop), taking the header's bytes once the socket is readable (<see cref="ProxyHeaderReceiver.ReadAvailable"/>), and
/// ending once: finished (a header, a refusal, late) or abandoned (serving stops). A transport says only how it
/// watches the descriptor (epoll, an io_uring poll) and whom it tells. Everything runs on the reader's loop thread.
/// </summary>
internal abstract class LoopProxyHeaderReader : IReactorWork
{
    private ITimer? _deadline;

    /// <summary>A reader of <paramref name="read"/>'s header.</summary>
    protected LoopProxyHeaderReader(ProxyHeaderRead read)
    {
        Read = read;
        Fd = (int)read.Socket.Handle;
    }

    /// <summary>The read.</summary>
    public ProxyHeaderRead Read { get; }

    /// <summary>The connection's descriptor.</summary>
    protected int Fd { get; }

    /// <summary>Whether the read ended (finished or abandoned).</summary>
    protected bool Done { get; private set; }

    /// <summary>The deadline, posted to the loop.</summary>
    public void Execute()
    {
        if (!Done)
        {
            Read.Fail(ProxyHeaderReceiver.TimedOut(Read.Options));
            Finish();
        }
    }

    /// <summary>Serving stops: the connection is refused unseen (not logged: nothing went wrong with it). Loop thread.</summary>
    public void Abandon()
    {
        if (!Done)
        {
            Done = true;
            Release();
            Abandoned();
        }
    }

    /// <summary>Arms the deadline, from the accept on: call once the descriptor is watched.</summary>
    protected void StartDeadline(TimeProvider time)
    {
        TimeSpan left = ProxyHeaderReceiver.TimeLeft(Read, time);
        _deadline = time.CreateTimer(static state => ((LoopProxyHeaderReader)state!).Post(), this, left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// The socket is readable: takes what it holds of the header; returns false when the read goes on (the transport
    /// watches the descriptor again if its watch is one-shot).
    /// </summary>
    protected bool Readable()
    {
        if (Done)
        {
            return true;
        }

        if (ProxyHeaderReceiver.ReadAvailable(Read, Fd))
        {
            Finish();
            return true;
        }

        return false;
    }

    /// <summary>Ends the read (its outcome is in <see cref="Read"/>) and tells the transport.</summary>
    protected void Finish()
    {
        Done = true;
        Release();
        Finished();
    }

    /// <summary>Posts <paramref name="work"/> to the reader's loop; from the timer's thread.</summary>
    protected abstract void PostToLoop(IReactorWork work);

    /// <summary>Stops watching the descriptor (it stays open: the request goes on, or the transport closes it).</summary>
    protected abstract void StopWatching();

    /// <summary>The read ended: the transport hands it to the pipeline.</summary>
    protected abstract void Finished();

    /// <summary>The read was abandoned: the transport closes the connection unserved.</summary>
    protected abstract void Abandoned();

    private void Post() => PostToLoop(this);

    private void Release()
    {
        _deadline?.Dispose();
        StopWatching();
    }
}
