using System.Runtime.InteropServices;
using SocketServer.Internal.Reactor;

namespace SocketServer.Cli.Bench.Reactor;

/// <summary>
/// One socket of the reactor engine: opens and connects it without blocking, registers it with its loop and closes
/// it. Runs on its loop's thread only; posting the client to its loop (<see cref="IReactorWork.Execute"/>) starts it.
/// </summary>
internal abstract unsafe class ReactorClient : IReactorHandler, IReactorWork
{
    private long _registration;
    private bool _ended;

    /// <summary>Creates a client; nothing is opened until it is posted to <paramref name="loop"/>.</summary>
    /// <param name="run">The run.</param>
    /// <param name="loop">The loop it lives on.</param>
    /// <param name="id">Its number, which picks its pattern.</param>
    /// <param name="stats">Where it counts (shared with the other clients of its loop, except in idle mode).</param>
    protected ReactorClient(ReactorBench run, EventLoop loop, int id, WorkerStats stats)
    {
        Run = run;
        Loop = loop;
        Stats = stats;
        State = run.State;
        Seed = Pattern.Seed(id);
        Size = State.Options.Size;
    }

    /// <summary>The loop the client lives on.</summary>
    public EventLoop Loop { get; }

    /// <summary>The run.</summary>
    protected ReactorBench Run { get; }

    /// <summary>The run's shared state.</summary>
    protected BenchState State { get; }

    /// <summary>Where the client counts.</summary>
    protected WorkerStats Stats { get; }

    /// <summary>The client's place in the pattern.</summary>
    protected int Seed { get; }

    /// <summary>The message size.</summary>
    protected int Size { get; }

    /// <summary>The socket's descriptor, or -1.</summary>
    protected int Fd { get; private set; } = -1;

    /// <summary>Whether the run is over (errors seen from then on are the stop's, not the server's).</summary>
    protected bool Stopping => State.Token.IsCancellationRequested;

    /// <summary>Starts (or, posted again, resumes) the client on its loop's thread.</summary>
    public abstract void Execute();

    /// <summary>Handles readiness of the socket.</summary>
    /// <param name="events">The epoll events.</param>
    public abstract void OnEvents(uint events);

    /// <summary>Called on the loop's thread every tick (100 ms), for timeouts and retries.</summary>
    /// <param name="now">A <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> value.</param>
    public virtual void OnTick(long now)
    {
    }

    /// <summary>After the loops have stopped: closes the socket (the run is over; nothing more is counted).</summary>
    public virtual void Abandon()
    {
        if (Fd >= 0)
        {
            // The loop's epoll descriptor is already closed, which dropped the registration.
            ReactorNative.Close(Fd);
            Fd = -1;
        }
    }

    /// <summary>
    /// Opens a nonblocking socket, starts connecting it and registers it for <paramref name="events"/>. A stream
    /// connect completes later, with the first writable event (see <see cref="ConnectResult"/>).
    /// </summary>
    /// <param name="events">The epoll events to register for.</param>
    /// <returns>0, or the errno of the failure (the socket is then closed).</returns>
    protected int Open(uint events)
    {
        int fd = ReactorNative.Socket(Run.Family, Run.SocketType | ReactorNative.SockNonblock | ReactorNative.SockCloexec, 0);
        if (fd < 0)
        {
            return Marshal.GetLastSystemError();
        }

        if (Run.IsTcp)
        {
            int one = 1;
            ReactorNative.SetSockOpt(fd, ReactorNative.IpProtoTcp, ReactorNative.TcpNoDelay, &one, sizeof(int));
        }

        int result;
        fixed (byte* address = Run.Address)
        {
            result = ReactorNative.Connect(fd, address, (uint)Run.Address.Length);
        }

        if (result != 0)
        {
            int errno = Marshal.GetLastSystemError();
            if (errno != ReactorNative.EInProgress)
            {
                ReactorNative.Close(fd);
                return errno;
            }
        }

        Fd = fd;
        _registration = Loop.Register(fd, events, this);
        return 0;
    }

    /// <summary>The outcome of a nonblocking connect, once the socket reported an event: 0 or the errno.</summary>
    /// <returns>The pending socket error.</returns>
    protected int ConnectResult()
    {
        int error = 0;
        uint length = sizeof(int);
        return ReactorNative.GetSockOpt(Fd, ReactorNative.SolSocket, ReactorNative.SoError, &error, &length) == 0
            ? error
            : Marshal.GetLastSystemError();
    }

    /// <summary>Unregisters and closes the socket.</summary>
    protected void CloseSocket()
    {
        if (Fd >= 0)
        {
            Loop.Unregister(_registration, Fd);
            ReactorNative.Close(Fd);
            Fd = -1;
        }
    }

    /// <summary>Counts <paramref name="kind"/> unless the run is already over.</summary>
    /// <param name="kind">The error.</param>
    protected void Count(ErrorKind kind)
    {
        if (!Stopping)
        {
            Stats.Count(kind);
        }
    }

    /// <summary>The kind of error an errno counts as.</summary>
    /// <param name="errno">The errno.</param>
    /// <returns>Its kind.</returns>
    protected static ErrorKind Classify(int errno) => SocketIo.Classify(ReactorErrors.ToSocketError(errno));

    /// <summary>Closes the socket and ends the client for good; the run ends early when every client has.</summary>
    protected void End()
    {
        CloseSocket();
        if (!_ended)
        {
            _ended = true;
            Run.ClientEnded();
        }
    }

    /// <summary>The pattern bytes at <paramref name="offset"/> of the client's stream (to be fixed for a system call).</summary>
    /// <param name="offset">The offset in the stream.</param>
    /// <param name="length">How many bytes, at most the pattern's longest slice.</param>
    /// <returns>The bytes.</returns>
    protected ReadOnlySpan<byte> PatternBytes(long offset, int length) => State.Pattern.Slice(Seed, offset, length).Span;
}
