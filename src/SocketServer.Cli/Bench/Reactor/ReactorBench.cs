using System.Diagnostics;
using System.Net.Sockets;
using SocketServer.Internal.Reactor;

namespace SocketServer.Cli.Bench.Reactor;

/// <summary>
/// One run of the reactor engine: an event loop per usable CPU (one when the process is pinned to one core), the
/// clients spread over them round robin, and a 100 ms tick for the timeouts. Each client lives on one loop and is
/// only ever touched by its thread, so nothing on the message path takes a lock or allocates.
/// </summary>
internal sealed class ReactorBench
{
    private static readonly TimeSpan TickPeriod = TimeSpan.FromMilliseconds(100);

    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _running;

    private ReactorBench(BenchState state)
    {
        State = state;
        Address = SocketAddressBytes.From(state.Options.Target.EndPoint);
        (Family, SocketType, IsTcp) = state.Options.Target.Kind switch
        {
            ListenerKind.Unix => (ReactorNative.AfUnix, ReactorNative.SockStream, false),
            ListenerKind.Udp => (IpFamily(state), ReactorNative.SockDgram, false),
            _ => (IpFamily(state), ReactorNative.SockStream, true),
        };
    }

    /// <summary>The run's shared state.</summary>
    public BenchState State { get; }

    /// <summary>The target's <c>struct sockaddr</c>.</summary>
    public byte[] Address { get; }

    /// <summary>The address family to create sockets in.</summary>
    public int Family { get; }

    /// <summary>The socket type (stream or datagram).</summary>
    public int SocketType { get; }

    /// <summary>Whether the sockets are TCP (and get <c>TCP_NODELAY</c>).</summary>
    public bool IsTcp { get; }

    /// <summary>Runs every client until the run is stopped or every client has ended.</summary>
    /// <param name="state">The run.</param>
    /// <returns>The statistics of every loop (and of every connection, in idle mode).</returns>
    public static async Task<WorkerStats[]> RunAsync(BenchState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ReactorBench run = new(state);
        BenchOptions options = state.Options;
        using ReactorGroup group = new(0, "bench");
        LoopClients[] loops = [.. group.Loops.Select(loop => new LoopClients(loop, state.NewStats()))];
        List<WorkerStats> results = [];
        foreach (LoopClients loop in loops)
        {
            results.Add(loop.Stats);
        }

        ReactorClient[] clients = new ReactorClient[options.Connections];
        run._running = clients.Length;
        for (int id = 0; id < clients.Length; id++)
        {
            LoopClients loop = loops[id % loops.Length];
            WorkerStats stats = loop.Stats;
            if (options.Mode == BenchMode.Idle)
            {
                stats = state.NewStats(histogram: false);
                results.Add(stats);
            }

            clients[id] = options.Mode == BenchMode.Udp
                ? new DatagramClient(run, loop.Loop, id, stats)
                : new StreamClient(run, loop.Loop, id, stats);
            loop.Clients.Add(clients[id]);
        }

        // The ticks come from a thread of their own, not a System.Threading.Timer: a thread-pool worker spins (with
        // sched_yield) after every callback, and on a generator pinned to one core that spinning competes with the loop.
        using ManualResetEventSlim stopTicking = new();
        Thread ticker = new(() => Tick(loops, stopTicking)) { IsBackground = true, Name = "bench-ticks" };
        using (state.Token.UnsafeRegister(static done => ((TaskCompletionSource)done!).TrySetResult(), run._done))
        {
            ticker.Start();
            foreach (ReactorClient client in clients)
            {
                client.Loop.Post(client);
            }

            await run._done.Task.ConfigureAwait(false);
        }

        stopTicking.Set();
        ticker.Join();

        // Joins the loop threads: from here on the clients are this thread's.
        group.Dispose();
        foreach (ReactorClient client in clients)
        {
            client.Abandon();
        }

        return [.. results];
    }

    /// <summary>Called by a client that has ended for good (failed, or its connection was refused).</summary>
    public void ClientEnded()
    {
        if (Interlocked.Decrement(ref _running) == 0)
        {
            _done.TrySetResult();
        }
    }

    private static int IpFamily(BenchState state) =>
        state.Options.Target.EndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? ReactorNative.AfInet6 : ReactorNative.AfInet;

    private static void Tick(LoopClients[] loops, ManualResetEventSlim stop)
    {
        while (!stop.WaitHandle.WaitOne(TickPeriod))
        {
            foreach (LoopClients loop in loops)
            {
                loop.Loop.Post(loop);
            }
        }
    }

    /// <summary>The clients of one loop, its shared statistics, and its tick (posted to it every period).</summary>
    private sealed class LoopClients(EventLoop loop, WorkerStats stats) : IReactorWork
    {
        public EventLoop Loop { get; } = loop;

        public List<ReactorClient> Clients { get; } = [];

        // One histogram per loop rather than per connection: the loop's thread is its only writer, and one warm
        // histogram stays in the cache where sixty-four would not.
        public WorkerStats Stats { get; } = stats;

        public void Execute()
        {
            long now = Stopwatch.GetTimestamp();
            foreach (ReactorClient client in Clients)
            {
                client.OnTick(now);
            }
        }
    }
}
