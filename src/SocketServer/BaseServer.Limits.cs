using System.Net;
using System.Net.Sockets;
using SocketServer.Internal;
using SocketServer.Internal.Limits;
using SocketServer.Internal.Requests;

namespace SocketServer;

public abstract partial class BaseServer
{
    private ServerLimits _limits = new();
    private TimeProvider _timeProvider = TimeProvider.System;
    private ConnectionTracker? _connections;
    private bool _pausedAtConnectionLimit;

    /// <summary>
    /// The limits this server enforces on its stream connections: connection caps, idle and first-unit deadlines,
    /// minimum data rates and the longest line. Safe defaults are on; <see cref="ServerLimits.Unlimited"/> restores
    /// Python's behaviour. Datagram and forking servers ignore them.
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public ServerLimits Limits
    {
        get => _limits;
        set => _limits = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// The clock the limits and <see cref="ShutdownAsync"/> use: <see cref="System.TimeProvider.System"/> by default.
    /// Tests set a fake one (<c>FakeTimeProvider</c>) to move time on without sleeping.
    /// </summary>
    /// <remarks>Set it before serving: the heartbeat's timer is created on the clock in force at the first connection.</remarks>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => _timeProvider = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>The open stream connections and their limits; created on first use.</summary>
    internal ConnectionTracker Connections => LazyInitializer.EnsureInitialized(ref _connections, () => new ConnectionTracker(this));

    /// <summary>The limits state of a connection this server admitted, or null (a datagram, a forking server, a request it did not accept).</summary>
    internal ConnectionState? FindConnection(object request) => _connections?.Find(request);

    /// <summary>
    /// Admits an accepted stream connection under the caps. Returns false after closing it without data (through
    /// <see cref="ShutdownRequest"/>) when a cap refuses it.
    /// </summary>
    internal bool AdmitConnection(object request, EndPoint? clientAddress)
    {
        if (!AcceptedSocket.IsStreamConnection(request) || !_dispatcher.TracksConnections)
        {
            return true;
        }

        if (Connections.TryAdmit(request, clientAddress) is not null)
        {
            return true;
        }

        ShutdownRequest(request);
        return false;
    }

    /// <summary>Whether an async session must stop accepting: <see cref="ServerLimits.MaxConnections"/> connections are open.</summary>
    internal bool AsyncAtCapacity(ref bool paused)
    {
        if (_connections is not { AtCapacity: true } connections || !_dispatcher.TracksConnections)
        {
            paused = false;
            return false;
        }

        if (!paused)
        {
            paused = true;
            connections.AcceptPaused();
        }

        return true;
    }

    /// <summary>A connection ended at the cap: the synchronous loop's waker, or the async session, accepts again.</summary>
    internal void SlotFreed() => _run?.SlotFreed();

    /// <summary>Python's <c>shutdown_request</c>, then the connection's slot is given back.</summary>
    internal void EndRequest(object request)
    {
        try
        {
            ShutdownRequest(request);
        }
        finally
        {
            _connections?.Release(request);
        }
    }

    /// <summary>
    /// Whether <paramref name="exception"/> only reports that the server ended the connection for a limit; such
    /// failures were counted and reported when they happened, and do not go to <see cref="HandleError"/>.
    /// </summary>
    internal bool IsLimitFailure(object request, Exception exception) =>
        exception is ConnectionLimitException
        || (SocketErrors.IsSocketLevel(exception) && FindConnection(request) is { EndedByLimit: true });

    /// <summary>
    /// At <see cref="ServerLimits.MaxConnections"/>, waits (without accepting, so the surplus stays in the listen
    /// backlog) until a connection ends, the poll interval passes, or the loop is woken. Returns whether it waited.
    /// </summary>
    private bool PauseAtConnectionLimit(TimeSpan? pollInterval, LoopWaker? waker)
    {
        if (_connections is not { AtCapacity: true } connections)
        {
            _pausedAtConnectionLimit = false;
            return false;
        }

        if (!_pausedAtConnectionLimit)
        {
            _pausedAtConnectionLimit = true;
            connections.AcceptPaused();
        }

        WaitForFreeSlot(pollInterval, waker);
        return true;
    }

    private void WaitForFreeSlot(TimeSpan? pollInterval, LoopWaker? waker)
    {
        TimeSpan fallback = TimeSpan.FromMilliseconds(50);
        if (waker is null)
        {
            // No waker (no loopback): poll for the slot.
            Thread.Sleep(pollInterval is { } p && p < fallback ? p : fallback);
            return;
        }

        // A released slot, Shutdown() and ServerClose() all wake the waker.
        lock (_selectList)
        {
            _selectList.Clear();
            _selectList.Add(waker.Socket);
            Socket.Select(_selectList, null, null, ToMicroseconds(pollInterval));
            if (_selectList.Contains(waker.Socket))
            {
                waker.Drain();
            }
        }
    }
}
