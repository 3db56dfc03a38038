using System.Net;
using System.Net.Sockets;
using SocketServer.Internal;
using SocketServer.Internal.Async;
using SocketServer.Internal.Dispatch;
using SocketServer.Internal.IoUring;
using SocketServer.Internal.Reactor;
using SocketServer.Internal.Requests;

namespace SocketServer;

public abstract partial class BaseServer
{
    /// <summary>
    /// Serves requests until <paramref name="cancellationToken"/> is cancelled, or <see cref="Shutdown"/> or
    /// <see cref="ServerClose"/> is called: the async counterpart of <see cref="ServeForever()"/>, on the same server
    /// and through the same hooks (<see cref="VerifyRequest"/>, <see cref="ProcessRequest"/>,
    /// <see cref="FinishRequest"/>, <see cref="ShutdownRequest"/>, <see cref="CloseRequest"/>,
    /// <see cref="HandleError"/>).
    /// </summary>
    /// <remarks>
    /// <para>On 64-bit Linux connections are driven by event loops of the library's own (epoll), one per CPU the
    /// process may use. An <see cref="AsyncStreamRequestHandler"/> runs on a loop with no thread of its own; any other
    /// handler gets a thread per request, as under <see cref="ThreadingTcpServer"/>, so a synchronous handler still
    /// works. The accept happens on the loop (<see cref="GetRequest"/> is not called), and the hooks run there too:
    /// they must not block. When serving stops, every connection is ended (its handler sees the end of
    /// <see cref="AsyncStreamRequestHandler.Input"/> and <see cref="AsyncStreamRequestHandler.ConnectionClosed"/>
    /// is cancelled), shut down and closed before the task completes; threads of synchronous handlers are not waited
    /// for.</para>
    /// <para>With <see cref="TcpServer.Tls"/> set, every connection is TLS: an <see cref="AsyncStreamRequestHandler"/>'s
    /// handshake runs asynchronously off the loops, and its connection is then served off them too, over pipes on the
    /// TLS stream (the encryption would stall a loop); a failed handshake goes to <see cref="HandleError"/> and closes
    /// that connection only. A synchronous handler does the handshake in its own setup, on its thread.</para>
    /// <para>Datagram servers (UDP, Unix datagram) receive on the first loop; an <see cref="AsyncDatagramRequestHandler"/>
    /// runs there, any other handler on a thread per datagram.</para>
    /// <para>Elsewhere than 64-bit Linux a portable transport serves instead: .NET's asynchronous accept and receive,
    /// and pipes over a <see cref="NetworkStream"/> for each connection, with the same hooks and handlers (simpler,
    /// not tuned). When it stops, each connection's receiving side is shut down so that its handler sees the end of
    /// input; connections whose handler has not finished 5 seconds later are closed.</para>
    /// </remarks>
    /// <param name="cancellationToken">Stops serving when cancelled.</param>
    /// <returns>A task that completes when serving stopped; faulted with a <see cref="ServerExitException"/> a handler threw.</returns>
    /// <exception cref="InvalidOperationException">The server is already serving (<see cref="ServeForever()"/> or <see cref="ServeAsync"/>).</exception>
    /// <exception cref="DescriptorLimitException">The descriptor limit leaves too few descriptors free to serve a connection.</exception>
    public Task ServeAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        if (!_dispatcher.ServesOnEventLoops)
        {
            return ServeForeverOnOwnThreadAsync(cancellationToken);
        }

        DescriptorLimits.EnsureHeadroom(DescriptorLimits.ServingHeadroom);
        ServeRun run = BeginRun(loopThreadId: 0);
        IServeSession session;
        try
        {
            session = CreateAsyncSession(run);
        }
        catch
        {
            EndRun(run);
            throw;
        }

        run.AttachSession(session);
        // As in ServeForever: publish the session before reading the flag, Shutdown sets the flag before reading it.
        Interlocked.MemoryBarrier();
        try
        {
            session.Start(cancellationToken);
        }
        catch
        {
            session.Dispose();
            EndRun(run);
            throw;
        }

        run.MarkServing();
        Diagnostics.ServingStarted(session switch
        {
            ReactorServeSession => "ServeAsync on the reactor",
            IoUringServeSession => "ServeAsync on io_uring",
            _ => "ServeAsync on the portable transport",
        });
        if (_shutdownRequest || IsClosed)
        {
            session.RequestStop();
        }

        return session.Completion;
    }

    /// <summary>
    /// <see cref="ServeAsync"/> of a server whose dispatcher keeps its own loop (a forking server: its requests run in
    /// worker processes, whose isolation an event loop in the parent would lose): <see cref="ServeForever()"/> on a
    /// thread of its own, stopped by the token as by <see cref="Shutdown"/>. In a worker process it serves as the
    /// worker.
    /// </summary>
    private Task ServeForeverOnOwnThreadAsync(CancellationToken cancellationToken)
    {
        if (_run is not null)
        {
            throw new InvalidOperationException("The server is already serving (ServeForever or ServeAsync on another thread); stop that run first.");
        }

        var served = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            using CancellationTokenRegistration stop = cancellationToken.Register(static state => ((BaseServer)state!).RequestStop(), this);
            try
            {
                ServeForever();
                served.TrySetResult();
            }
            catch (Exception e)
            {
                served.TrySetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "socketserver-serve",
        };
        thread.Start();
        return served.Task;
    }

    /// <summary>
    /// The engine <see cref="ServeAsync"/> serves on: <see cref="SocketServer.AsyncTransport.Epoll"/> (the default:
    /// the library's epoll event loops on 64-bit Linux, the portable transport elsewhere),
    /// <see cref="SocketServer.AsyncTransport.IoUring"/> (io_uring event loops for stream servers, falling back to
    /// epoll with one logged warning where io_uring is unavailable) or <see cref="SocketServer.AsyncTransport.Portable"/>.
    /// Read when <see cref="ServeAsync"/> starts.
    /// </summary>
    /// <remarks>
    /// The transports serve the same hooks, handlers, limits, drain and TLS (over TLS, connections are served off the
    /// event loops on either loop transport). See docs/design.md for how the io_uring transport works and
    /// docs/benchmarks.md for what it costs per message against epoll.
    /// </remarks>
    public AsyncTransport AsyncTransport { get; set; } = AsyncTransport.Epoll;

    /// <summary>
    /// Serve with the portable transport (.NET sockets and pipes over a <see cref="NetworkStream"/>) even where the
    /// reactor runs; the default off Linux. For tests: <see cref="AsyncTransport"/> is <c>Portable</c>.
    /// </summary>
    internal bool UsePortableAsyncTransport
    {
        get => AsyncTransport == AsyncTransport.Portable;
        set => AsyncTransport = value ? AsyncTransport.Portable : AsyncTransport.Epoll;
    }

    /// <summary>
    /// Replaces the process-wide io_uring probe for this server (tests: a kernel without io_uring, simulated): returns
    /// null when io_uring may be used, else the reason it may not.
    /// </summary>
    internal Func<string?>? IoUringProbe { get; set; }

    /// <summary>
    /// The session of one <see cref="ServeAsync"/> run for <see cref="AsyncTransport"/>. io_uring falls back to the
    /// epoll reactor, with one log line, for datagram servers and where the probe (or creating the rings) fails.
    /// </summary>
    private IServeSession CreateAsyncSession(ServeRun run)
    {
        if (AsyncTransport == AsyncTransport.Portable || !ReactorNative.IsSupported)
        {
            return new PortableServeSession(this, run);
        }

        if (AsyncTransport == AsyncTransport.IoUring)
        {
            if (Socket.SocketType != SocketType.Stream)
            {
                Diagnostics.IoUringNotForDatagrams();
            }
            else if ((IoUringProbe ?? (static () => IoUringSupport.UnavailableReason))() is { } reason)
            {
                Diagnostics.IoUringUnavailable(reason);
            }
            else
            {
                try
                {
                    return new IoUringServeSession(this, run, AsyncLoopCount);
                }
                catch (SocketException e)
                {
                    // The probe passed but a loop's ring or buffer ring could not be made (memory, limits).
                    Diagnostics.IoUringUnavailable(e.Message);
                }
            }
        }

        return new ReactorServeSession(this, run, AsyncLoopCount);
    }

    /// <summary>How many event loops <see cref="ServeAsync"/> starts; 0 = one per CPU the process may use.</summary>
    internal int AsyncLoopCount { get; set; }

    /// <summary>The running reactor session, if any (for tests).</summary>
    internal ReactorServeSession? ReactorSession => _run?.Session as ReactorServeSession;

    /// <summary>The running io_uring session, if any (for tests).</summary>
    internal IoUringServeSession? IoUringSession => _run?.Session as IoUringServeSession;

    /// <summary>The dispatcher in effect: the run's async one while <see cref="ServeAsync"/> runs.</summary>
    internal Internal.Dispatch.RequestDispatcher ActiveDispatcher => _run?.Session?.Dispatcher ?? _dispatcher;

    /// <summary>
    /// Called by an async session when it has stopped: the server may serve again, and Shutdown() returns; then the
    /// session's <paramref name="completion"/> (what <see cref="ServeAsync"/> returned) completes, faulted with
    /// <paramref name="exit"/> when something stopped it (a <see cref="ServerExitException"/>, a hook's exception).
    /// </summary>
    internal void EndAsyncRun(ServeRun run, TaskCompletionSource completion, Exception? exit)
    {
        EndRun(run);
        if (exit is not null)
        {
            completion.TrySetException(exit);
        }
        else
        {
            completion.TrySetResult();
        }
    }

    /// <summary>
    /// After a loop transport stopped: the listening socket goes back to blocking, as the synchronous loop expects it
    /// if it serves next (the loops made it non-blocking); nothing to do once the server was closed.
    /// </summary>
    internal void RestoreBlockingListener()
    {
        if (IsClosed)
        {
            return;
        }

        try
        {
            Socket.Blocking = true;
        }
        catch (ObjectDisposedException)
        {
            // Closed meanwhile (ServerClose on another thread).
        }
    }
}
