using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SocketServer.Internal.Dispatch;

namespace SocketServer.Internal.Forking;

/// <summary>
/// Python's <c>ForkingMixIn</c> without fork: each request is handed, with its descriptor (SCM_RIGHTS), to a
/// worker process that is this same program started again. In the parent it keeps the pool of workers; in a
/// worker it replaces the serve loop with <see cref="WorkerLoop"/>.
/// </summary>
internal sealed partial class ProcessDispatcher : RequestDispatcher
{
    private static int s_nextOrdinal;
    private readonly int _ordinal = Interlocked.Increment(ref s_nextOrdinal) - 1;
    private readonly Lock _lock = new();
    private readonly List<ChildWorker> _workers = [];

    // A copy of _workers, replaced on every change, for a drain that must not wait for the lock (the loop may hold it
    // while it waits for busy workers, which only the drain's kill would end).
    private volatile ChildWorker[] _liveWorkers = [];
    private bool _everSpawned;

    public ProcessDispatcher()
    {
        if (!DescriptorPassing.IsSupported)
        {
            throw new PlatformNotSupportedException("The forking servers hand sockets to worker processes with SCM_RIGHTS, implemented here for 64-bit Linux only.");
        }
    }

    /// <summary>In a worker process no forking server binds: the parent owns the address.</summary>
    public override bool BindsInThisProcess => WorkerEnvironment.Current is null;

    public override bool TracksConnections => false;

    /// <summary>Requests stay in worker processes: <c>ServeAsync</c> runs the forking loop on a thread of its own.</summary>
    public override bool ServesOnEventLoops => false;

    /// <summary>Python's <c>active_children</c>: the live workers' pids, or null before the first was started.</summary>
    public IReadOnlyCollection<int>? ActiveChildren
    {
        get
        {
            lock (_lock)
            {
                return _everSpawned ? [.. _workers.Select(w => w.Pid), .. _starting.Select(s => s.Process.Id)] : null;
            }
        }
    }

    public override bool TryServeAsWorker(BaseServer server)
    {
        WorkerEnvironment? role = WorkerEnvironment.Current;
        if (role is null)
        {
            return false;
        }

        if (role.ServerOrdinal != _ordinal)
        {
            // Another forking server of this program is the worker's; this one only waits for the process to end.
            Thread.Sleep(Timeout.Infinite);
        }

        Environment.Exit(WorkerLoop.Run(server, role));
        return true;
    }

    public override void ProcessRequest(BaseServer server, object request, EndPoint? clientAddress)
    {
        var settings = (IForkingServer)server;
        (byte kind, SafeHandle descriptor, byte[] packet) = request switch
        {
            // A connection's bytes are its PROXY header, if the parent read one: the worker parses it again.
            Socket connection => (ChannelMessages.StreamRequest, (SafeHandle)connection.SafeHandle, server.GetProxyHeader(connection)?.Raw.ToArray() ?? []),
            DatagramRequest datagram => (ChannelMessages.DatagramRequest, datagram.Socket.SafeHandle, datagram.Packet),
            _ => throw new InvalidOperationException($"A forking server cannot hand a {request.GetType().Name} to a worker process."),
        };
        byte[] message = ChannelMessages.Request(kind, clientAddress, packet);

        lock (_lock)
        {
            ChildWorker worker = TakeIdleWorker(server, settings) ?? Spawn(server, settings);
            try
            {
                DescriptorPassing.Send(worker.Channel, message, descriptor);
            }
            catch (SocketException)
            {
                // The idle worker died since we last looked; a fresh one takes the request instead.
                worker = Spawn(server, settings);
                DescriptorPassing.Send(worker.Channel, message, descriptor);
            }

            worker.StartRequest(clientAddress, kind == ChannelMessages.StreamRequest);
            if (settings.RequestsPerChild > 0 && worker.RequestsStarted >= settings.RequestsPerChild)
            {
                worker.Retire();
            }
        }

        // Python's parent only closes its copy: a shutdown would cut the connection the worker now serves.
        server.InvokeCloseRequest(request);
    }

    public override void ServiceActions(BaseServer server)
    {
        CollectChildren(server, blocking: false);
        TopUpSpares(server);
    }

    public override void HandleTimeout(BaseServer server) => CollectChildren(server, blocking: false);

    public override void ServerClosed(BaseServer server)
    {
        CollectChildren(server, blocking: ((IForkingServer)server).BlockOnClose, closing: true);
        lock (_lock)
        {
            CloseControlListener();
        }
    }

    /// <summary>
    /// Python's <c>collect_children</c>: reaps finished workers, kills ones over their time limit, waits while
    /// <c>MaxChildren</c> requests are in progress, and with <paramref name="blocking"/> waits for every worker.
    /// </summary>
    public void CollectChildren(BaseServer server, bool blocking, bool closing = false)
    {
        var settings = (IForkingServer)server;
        lock (_lock)
        {
            Reap(settings);
            // Closing never waits for a free slot: a close with BlockOnClose off must not wait at all.
            while (!closing && _workers.Count(w => w.Busy) >= Math.Max(1, settings.MaxChildren))
            {
                WaitForChannels(_workers.Where(w => w.Busy), settings);
                Reap(settings);
            }

            if (closing)
            {
                foreach (ChildWorker worker in _workers)
                {
                    worker.Retire();
                }
            }

            if (blocking)
            {
                while (_workers.Count > 0)
                {
                    WaitForChannels(_workers, settings);
                    Reap(settings);
                }
            }
        }
    }

    private ChildWorker? TakeIdleWorker(BaseServer server, IForkingServer settings)
    {
        if (_starting.Count > 0)
        {
            AcceptStartedWorkers(server, settings, wait: false);
        }

        foreach (ChildWorker worker in _workers)
        {
            worker.Poll();
        }

        return _workers.FirstOrDefault(w => !w.Busy && !w.Gone && !w.Retired);
    }

    private void TopUpSpares(BaseServer server)
    {
        var settings = (IForkingServer)server;
        lock (_lock)
        {
            if (_starting.Count > 0)
            {
                AcceptStartedWorkers(server, settings, wait: false);
            }

            // Starting a process is quick; waiting for it to connect is not, so spares connect in the background
            // and are taken in when they do, never stalling the loop.
            int idle = _workers.Count(w => !w.Busy && !w.Gone && !w.Retired) + _starting.Count;
            while (idle < settings.SpareWorkers && _workers.Count + _starting.Count < Math.Max(1, settings.MaxChildren))
            {
                StartWorker(settings);
                idle++;
            }
        }
    }

    private void Reap(IForkingServer settings)
    {
        long now = Stopwatch.GetTimestamp();
        foreach (ChildWorker worker in _workers)
        {
            worker.Poll();
            if (worker.Busy && !worker.Gone && settings.MaxRequestDuration is { } limit &&
                Stopwatch.GetElapsedTime(worker.RequestStartedAt, now) > limit)
            {
                worker.KillForTime();
            }
        }

        for (int i = _workers.Count - 1; i >= 0; i--)
        {
            ChildWorker worker = _workers[i];
            if (!worker.Gone)
            {
                continue;
            }

            _workers.RemoveAt(i);
            _liveWorkers = [.. _workers];
            ReportIfAbnormal(worker, settings);
            worker.Dispose();
        }
    }

    private static void ReportIfAbnormal(ChildWorker worker, IForkingServer settings)
    {
        if (!worker.Process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            worker.Kill();
            worker.Process.WaitForExit();
        }

        int exitCode = worker.Process.ExitCode;
        string? reason = worker switch
        {
            { KilledForTime: true } => "was killed after exceeding the request time limit",
            { AbortedByDrain: true, Busy: true } => "was killed when the drain's grace period ended before its request did",
            { Busy: true } => "died before finishing its request",
            _ when exitCode is not (0 or 1) => "exited abnormally",
            _ => null,
        };
        if (reason is not null)
        {
            settings.ReportChildFailure(new ChildProcessFailure(worker.Pid, exitCode, worker.Busy ? worker.CurrentClient : null, reason));
        }
    }

    private static void WaitForChannels(IEnumerable<ChildWorker> workers, IForkingServer settings)
    {
        var channels = workers.Where(w => !w.Gone).Select(w => w.Channel).ToList();
        if (channels.Count == 0)
        {
            return;
        }

        // Wake at least once a second so the request time limit is enforced while we wait.
        int micros = settings.MaxRequestDuration is null ? -1 : 1_000_000;
        Socket.Select(channels, null, null, micros);
    }
}
