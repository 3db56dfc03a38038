using System.Globalization;
using System.Net;
using SocketServer.Internal.Requests;

namespace SocketServer.Internal.Limits;

/// <summary>
/// A server's open stream connections, for its <see cref="ServerLimits"/>: the caps (total and per client address),
/// a heartbeat that checks every connection's deadlines once a second on the server's <see cref="TimeProvider"/>
/// (Kestrel's model: one timer, no timer per connection), and the drain. Any serve path (the synchronous loop today,
/// the async path later) admits a connection here, hands its <see cref="ConnectionState"/> to the reader and writer,
/// and releases it when the request ends.
/// </summary>
internal sealed class ConnectionTracker : IDisposable
{
    /// <summary>How often the heartbeat checks the connections (Kestrel's <c>Heartbeat.Interval</c>).</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);

    private readonly BaseServer _server;
    private readonly Lock _lock = new();
    // Every open connection, linked through its state; the requests that are sockets find theirs in the table, an
    // AcceptedSocket (the loops' usual request) carries its own (TrackedState), so most connections need no entry.
    private readonly LinkedObjects<ConnectionState> _open = new();
    private readonly Dictionary<object, ConnectionState> _bySocket = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<IPAddress, int> _perClient = [];
    private readonly List<ConnectionState> _scan = [];
    private ITimer? _heartbeat;
    private bool _heartbeatRunning;
    private int _beating;
    private volatile bool _draining;
    private TaskCompletionSource? _empty;
    private long _rejected;
    private long _aborted;
    private long _closedIdle;
    private long _acceptPauses;
    private bool _disposed;

    public ConnectionTracker(BaseServer server) => _server = server;

    public ServerLimits Limits => _server.Limits;

    public TimeProvider Time => _server.TimeProvider;

    public bool IsDraining => _draining;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>Whether <see cref="ServerLimits.MaxConnections"/> is reached, so the loop must not accept.</summary>
    public bool AtCapacity => Limits.MaxConnections is { } max && Count >= max;

    /// <summary>Connections closed at accept because of a limit (for tests and reports).</summary>
    public long RejectedCount => Interlocked.Read(ref _rejected);

    /// <summary>Connections aborted because of a limit.</summary>
    public long AbortedCount => Interlocked.Read(ref _aborted);

    /// <summary>Connections closed as idle.</summary>
    public long ClosedIdleCount => Interlocked.Read(ref _closedIdle);

    /// <summary>Times the loop stopped accepting at <see cref="ServerLimits.MaxConnections"/>.</summary>
    public long AcceptPauseCount => Interlocked.Read(ref _acceptPauses);

    /// <summary>Admits a new connection, or returns null (and counts and reports why) when a limit refuses it.</summary>
    public ConnectionState? TryAdmit(object request, EndPoint? clientAddress)
    {
        ServerLimits limits = Limits;
        IPAddress? key = clientAddress is IPEndPoint ip ? (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address) : null;
        string? refusal = null;
        ConnectionState? state = null;
        lock (_lock)
        {
            if (_draining)
            {
                refusal = "Drain";
            }
            else if (limits.MaxConnections is { } max && _open.Count >= max)
            {
                refusal = nameof(ServerLimits.MaxConnections);
            }
            else if (key is not null && limits.MaxConnectionsPerClient is { } perClient && _perClient.GetValueOrDefault(key) >= perClient)
            {
                refusal = nameof(ServerLimits.MaxConnectionsPerClient);
            }
            else
            {
                state = new ConnectionState(this, request, clientAddress, key, Time.GetTimestamp(), _server.Diagnostics.Traffic)
                {
                    // Every admitted connection is counted open here and closed in Release: the one place each happens.
                    MetricsOpenedAt = _server.Diagnostics.ConnectionOpened(),
                };
                if (request is AcceptedSocket accepted)
                {
                    accepted.TrackedState = accepted.TrackedState is null ? state : throw new InvalidOperationException("The request is open already.");
                }
                else
                {
                    _bySocket.Add(request, state);
                }

                _open.Add(state);
                if (key is not null)
                {
                    _perClient[key] = _perClient.GetValueOrDefault(key) + 1;
                }

                StartHeartbeatIfNeeded(limits);
            }
        }

        if (refusal is not null)
        {
            Interlocked.Increment(ref _rejected);
            string why = refusal switch
            {
                nameof(ServerLimits.MaxConnectionsPerClient) => string.Create(CultureInfo.InvariantCulture, $"{key} already holds ServerLimits.MaxConnectionsPerClient ({limits.MaxConnectionsPerClient}) connections"),
                nameof(ServerLimits.MaxConnections) => string.Create(CultureInfo.InvariantCulture, $"ServerLimits.MaxConnections ({limits.MaxConnections}) connections are open"),
                _ => "the server is draining",
            };
            _server.Diagnostics.ConnectionRejected(clientAddress, refusal, why);
        }

        return state;
    }

    /// <summary>The open connections, in no order.</summary>
    public List<ConnectionState> Snapshot()
    {
        lock (_lock)
        {
            return _open.ToList();
        }
    }

    public ConnectionState? Find(object request)
    {
        lock (_lock)
        {
            return request is AcceptedSocket accepted ? accepted.TrackedState : _bySocket.GetValueOrDefault(request);
        }
    }

    /// <summary>Forgets a connection whose request has ended; wakes the loop if it waits for a free slot.</summary>
    public void Release(object request)
    {
        bool freedSlot;
        ConnectionState? state;
        lock (_lock)
        {
            if (request is AcceptedSocket accepted)
            {
                state = accepted.TrackedState;
                accepted.TrackedState = null;
            }
            else
            {
                _bySocket.Remove(request, out state);
            }

            if (state is null)
            {
                return;
            }

            _open.Remove(state);

            if (state.ClientKey is { } key)
            {
                int left = _perClient[key] - 1;
                if (left == 0)
                {
                    _perClient.Remove(key);
                }
                else
                {
                    _perClient[key] = left;
                }
            }

            freedSlot = Limits.MaxConnections is { } max && _open.Count == max - 1;
            if (_open.Count == 0)
            {
                _empty?.TrySetResult();
                StopHeartbeat();
            }
        }

        _server.Diagnostics.ConnectionClosed(state.MetricsOpenedAt, state.EndingLimit);
        if (freedSlot)
        {
            _server.SlotFreed();
        }
    }

    /// <summary>Reports (throttled) and counts that the loop stopped accepting at the connection cap.</summary>
    public void AcceptPaused()
    {
        Interlocked.Increment(ref _acceptPauses);
        _server.Diagnostics.AcceptPausedAtConnectionLimit(Limits.MaxConnections);
    }

    /// <summary>One sweep over every connection; the timer calls it once a second, tests call it after moving a fake clock.</summary>
    public void Heartbeat()
    {
        // A sweep that overlaps the previous one (a slow machine) is skipped, as Kestrel's is.
        if (Interlocked.Exchange(ref _beating, 1) == 1)
        {
            return;
        }

        try
        {
            lock (_lock)
            {
                _scan.Clear();
                _open.CopyTo(_scan);
            }

            long now = Time.GetTimestamp();
            ServerLimits limits = Limits;
            bool draining = _draining;
            foreach (ConnectionState state in _scan)
            {
                state.Check(now, limits, draining);
            }

            _scan.Clear();
        }
        finally
        {
            Volatile.Write(ref _beating, 0);
        }
    }

    /// <summary>
    /// Starts a drain: refuses new connections, closes the idle ones at once, and returns every open connection with
    /// how many of them were closed as idle.
    /// </summary>
    public (List<ConnectionState> Open, int ClosedIdle) BeginDrain()
    {
        List<ConnectionState> inProgress;
        lock (_lock)
        {
            _draining = true;
            _empty = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            inProgress = _open.ToList();
            if (inProgress.Count == 0)
            {
                _empty.TrySetResult();
            }
        }

        int closedIdle = inProgress.Count(static state => state.CloseIdleIfWaiting());
        return (inProgress, closedIdle);
    }

    /// <summary>Completes when no connection is left (after <see cref="BeginDrain"/>).</summary>
    public Task WhenEmpty()
    {
        lock (_lock)
        {
            return _empty?.Task ?? Task.CompletedTask;
        }
    }

    /// <summary>Aborts every connection still open; returns how many this call aborted.</summary>
    public int AbortAll(string limitName, string message)
    {
        List<ConnectionState> open;
        lock (_lock)
        {
            open = _open.ToList();
        }

        return open.Count(state => state.Abort(limitName, message));
    }

    /// <summary>Ends a drain, so that the server may serve again afterwards.</summary>
    public void EndDrain() => _draining = false;

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _heartbeat?.Dispose();
            _heartbeat = null;
        }
    }

    internal void Aborted(ConnectionState state, string limitName, string message)
    {
        Interlocked.Increment(ref _aborted);
        _server.Diagnostics.ConnectionAborted(state.ClientAddress, limitName, message);
    }

    internal void ClosedIdle(ConnectionState state, string reason, string why)
    {
        Interlocked.Increment(ref _closedIdle);
        _server.Diagnostics.IdleConnectionClosed(state.ClientAddress, reason, why);
    }

    private void StartHeartbeatIfNeeded(ServerLimits limits)
    {
        if (_heartbeatRunning || _disposed || !limits.HasTimeouts)
        {
            return;
        }

        if (_heartbeat is null)
        {
            _heartbeat = Time.CreateTimer(static tracker => ((ConnectionTracker)tracker!).Heartbeat(), this, HeartbeatInterval, HeartbeatInterval);
        }
        else
        {
            _heartbeat.Change(HeartbeatInterval, HeartbeatInterval);
        }

        _heartbeatRunning = true;
    }

    private void StopHeartbeat()
    {
        if (_heartbeatRunning && _heartbeat is not null)
        {
            _heartbeat.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _heartbeatRunning = false;
        }
    }
}
