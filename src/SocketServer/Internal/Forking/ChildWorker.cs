using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SocketServer.Internal.Forking;

/// <summary>The parent's view of one worker process: the process, its control channel, and what it is doing.</summary>
internal sealed class ChildWorker(Process process, Socket channel) : IDisposable
{
    public Process Process { get; } = process;

    public Socket Channel { get; } = channel;

    public int Pid { get; } = process.Id;

    // Volatile: a drain reads them from its own thread, without the dispatcher's lock, to know which workers to kill.
    private volatile bool _busy;
    private volatile bool _gone;
    private volatile bool _abortedByDrain;

    /// <summary>Whether a request was handed over and its status has not come back yet.</summary>
    public bool Busy
    {
        get => _busy;
        private set => _busy = value;
    }

    /// <summary>Whether the channel reached its end: the process exited or closed it.</summary>
    public bool Gone
    {
        get => _gone;
        private set => _gone = value;
    }

    /// <summary>Whether a drain killed it because its grace period ended before the request did.</summary>
    public bool AbortedByDrain => _abortedByDrain;

    public int RequestsStarted { get; private set; }

    public EndPoint? CurrentClient { get; private set; }

    public long RequestStartedAt { get; private set; }

    /// <summary>Whether the current (or last) request is a connection rather than a datagram.</summary>
    public bool ServesConnection { get; private set; }

    /// <summary>Whether the channel's sending side was closed: the worker exits after its current request.</summary>
    public bool Retired { get; private set; }

    /// <summary>Whether the parent killed it for exceeding the request time limit.</summary>
    public bool KilledForTime { get; private set; }

    public void StartRequest(EndPoint? client, bool connection)
    {
        Busy = true;
        CurrentClient = client;
        ServesConnection = connection;
        RequestStartedAt = Stopwatch.GetTimestamp();
        RequestsStarted++;
    }

    /// <summary>Reads what the worker sent, without blocking: statuses free it, the end of the stream marks it gone.</summary>
    public void Poll()
    {
        if (Gone)
        {
            return;
        }

        Span<byte> buffer = stackalloc byte[16];
        try
        {
            while (Channel.Poll(0, SelectMode.SelectRead))
            {
                int read = Channel.Receive(buffer);
                if (read == 0)
                {
                    Gone = true;
                    return;
                }

                // One status byte per finished request (one message each, on a SOCK_SEQPACKET channel).
                Busy = false;
                CurrentClient = null;
                if ((buffer[0] & ChannelMessages.Leaving) != 0)
                {
                    // It is on its way out: never hand it another request.
                    Retire();
                }
            }
        }
        catch (SocketException)
        {
            Gone = true;
        }
    }

    /// <summary>Tells the worker to exit once idle: it reads the end of the channel. Its statuses still come back.</summary>
    public void Retire()
    {
        if (Retired)
        {
            return;
        }

        Retired = true;
        try
        {
            Channel.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>Kills a worker that has spent too long on one request.</summary>
    public void KillForTime()
    {
        KilledForTime = true;
        Kill();
    }

    /// <summary>Kills a worker still busy when a drain's grace period ended. Safe without the dispatcher's lock.</summary>
    public void AbortForDrain()
    {
        _abortedByDrain = true;
        Kill();
    }

    public void Kill()
    {
        try
        {
            // Our own child: its pid cannot be reused before this Process has seen it exit, so no stranger is killed.
            Process.Kill();
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // Already exited, or already reaped and disposed (a drain may race the loop's reaping).
        }
    }

    public void Dispose()
    {
        Channel.Dispose();
        Process.Dispose();
    }
}
