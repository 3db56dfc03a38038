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

    /// <summary>Whether a request was handed over and its status has not come back yet.</summary>
    public bool Busy { get; private set; }

    /// <summary>Whether the channel reached its end: the process exited or closed it.</summary>
    public bool Gone { get; private set; }

    public int RequestsStarted { get; private set; }

    public EndPoint? CurrentClient { get; private set; }

    public long RequestStartedAt { get; private set; }

    /// <summary>Whether the channel's sending side was closed: the worker exits after its current request.</summary>
    public bool Retired { get; private set; }

    /// <summary>Whether the parent killed it for exceeding the request time limit.</summary>
    public bool KilledForTime { get; private set; }

    public void StartRequest(EndPoint? client)
    {
        Busy = true;
        CurrentClient = client;
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

    public void Kill()
    {
        try
        {
            Process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    public void Dispose()
    {
        Channel.Dispose();
        Process.Dispose();
    }
}
