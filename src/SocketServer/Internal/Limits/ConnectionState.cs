using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Diagnostics;

namespace SocketServer.Internal.Limits;

/// <summary>
/// One connection as the limits see it: when it was accepted, when a byte last moved, whether its handler is waiting
/// for input (and whether part of a line has come), whether a write is in progress, and whether the server ended it.
/// The handler's thread writes it through <see cref="SocketReader"/> and <see cref="SocketWriter"/>; the heartbeat reads
/// it. Nothing here allocates on the handler's path.
/// </summary>
internal sealed class ConnectionState : ILinkedObject<ConnectionState>
{
    private const int Reading = 1;
    private const int InUnit = 2;
    private const int Writing = 4;
    private const int FirstUnitDone = 8;

    private const int Open = 0;
    private const int IdleClosed = 1;
    private const int AbortedOutcome = 2;

    private readonly ConnectionTracker _tracker;
    private int _flags;
    private long _lastActivity;
    private long _unitStart;
    private long _unitBytes;
    private long _writeStart;
    private long _writeBytes;
    private int _outcome;
    private volatile ConnectionLimitException? _readFailure;
    private volatile ConnectionLimitException? _writeFailure;

    public ConnectionState(ConnectionTracker tracker, object request, EndPoint? clientAddress, IPAddress? clientKey, long acceptedAt, TrafficTotals traffic)
    {
        _tracker = tracker;
        Request = request;
        ClientAddress = clientAddress;
        ClientKey = clientKey;
        AcceptedAt = acceptedAt;
        _lastActivity = acceptedAt;
        Traffic = traffic;
    }

    /// <inheritdoc/>
    /// <remarks>In its tracker's open connections; under the tracker's lock.</remarks>
    public ConnectionState? NextLinked { get; set; }

    /// <inheritdoc/>
    public ConnectionState? PreviousLinked { get; set; }

    /// <inheritdoc/>
    public bool IsLinked { get; set; }

    /// <summary>The connection as the server's hooks know it: a <see cref="Socket"/>, or an <see cref="Requests.AcceptedSocket"/>.</summary>
    public object Request { get; }

    /// <summary>
    /// The server's byte totals, for the async transports that reach the server only through this state (the reactor's
    /// and the portable connections).
    /// </summary>
    public TrafficTotals Traffic { get; }

    /// <summary>The client's address as accepted, for the reports (the socket may be closed by the time one is written).</summary>
    public EndPoint? ClientAddress { get; }

    /// <summary>The client's address for the per-client cap; null for peers without one (Unix sockets).</summary>
    public IPAddress? ClientKey { get; }

    public long AcceptedAt { get; }

    /// <summary>The line-length cap in force, or null.</summary>
    public int? MaxLineLength => _tracker.Limits.MaxLineLength;

    public bool WasClosedIdle => Volatile.Read(ref _outcome) == IdleClosed;

    public bool WasAborted => Volatile.Read(ref _outcome) == AbortedOutcome;

    /// <summary>When the connection was counted open in the metrics (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public long MetricsOpenedAt { get; set; }

    /// <summary>The limit that ended the connection, for the metrics' <c>error.type</c>; null when none did.</summary>
    public string? EndingLimit => (_readFailure ?? _writeFailure)?.LimitName;

    /// <summary>Whether the handler is blocked in a receive (for tests that must act while it waits).</summary>
    internal bool IsReading => (Volatile.Read(ref _flags) & Reading) != 0;

    /// <summary>Whether part of a line has come and the reader waits for the rest.</summary>
    internal bool IsInUnit => (Volatile.Read(ref _flags) & InUnit) != 0;

    /// <summary>Whether a write is in progress.</summary>
    internal bool IsWriting => (Volatile.Read(ref _flags) & Writing) != 0;

    /// <summary>How many bytes of the current unfinished line have come.</summary>
    internal long UnitBytes => Volatile.Read(ref _unitBytes);

    /// <summary>Whether the server ended this connection because of a limit (so its errors are not request errors).</summary>
    public bool EndedByLimit => _readFailure is not null || _writeFailure is not null;

    /// <summary>
    /// Called before each blocking receive. <paramref name="lineBytes"/> is how much of an unfinished line the reader
    /// holds (0 when it waits for a new unit). Returns false when the receive must not happen: the connection is idle
    /// and the server is draining, so the caller reports the end of the stream.
    /// </summary>
    public bool BeforeReceive(int lineBytes)
    {
        ThrowIfReadFailed();
        int flags = _flags;
        if (lineBytes > 0)
        {
            if ((flags & InUnit) == 0)
            {
                // The line began with the bytes that last arrived.
                Volatile.Write(ref _unitStart, Volatile.Read(ref _lastActivity));
                Volatile.Write(ref _unitBytes, lineBytes);
                flags |= InUnit;
            }
        }
        else if (_tracker.IsDraining)
        {
            // Its request is done and it would wait for the next one: a drain closes it (its request counts as completed).
            CloseIdle("Drain", "the server is draining");
            return false;
        }

        // Atomic: under ServeAsync the reactor's flush path sets Writing on the loop thread while the handler may read elsewhere.
        Interlocked.Or(ref _flags, (flags & InUnit) | Reading);
        return true;
    }

    /// <summary>Called after each receive, with what it returned (0 for the end of the stream).</summary>
    public void AfterReceive(int received)
    {
        int flags = Interlocked.And(ref _flags, ~Reading) & ~Reading;
        if (received > 0)
        {
            Volatile.Write(ref _lastActivity, _tracker.Time.GetTimestamp());
            if ((flags & InUnit) != 0)
            {
                Interlocked.Add(ref _unitBytes, received);
            }
        }

        if (received == 0)
        {
            ThrowIfReadFailed();
        }
    }

    /// <summary>A line (or a read's bytes) was delivered whole: the first-unit deadline and the line's rate are done.</summary>
    public void UnitCompleted()
    {
        Interlocked.Or(ref _flags, FirstUnitDone);
        Interlocked.And(ref _flags, ~InUnit);
    }

    /// <summary>Turns a socket failure into the limit that caused it, when the server cut the connection.</summary>
    public IOException ReadFailure(SocketException e)
    {
        Interlocked.And(ref _flags, ~Reading);
        return _readFailure is { } failure
            ? new ConnectionLimitException(failure.LimitName, failure.Message, e)
            : new IOException($"Reading from the connection failed: {e.Message}", e);
    }

    /// <summary>Called before each blocking send of <paramref name="bytes"/> bytes.</summary>
    public void BeforeSend(int bytes)
    {
        if (_writeFailure is { } failure)
        {
            throw new ConnectionLimitException(failure.LimitName, failure.Message);
        }

        Volatile.Write(ref _writeStart, _tracker.Time.GetTimestamp());
        Volatile.Write(ref _writeBytes, bytes);
        Interlocked.Or(ref _flags, Writing);
    }

    public void AfterSend()
    {
        Volatile.Write(ref _lastActivity, _tracker.Time.GetTimestamp());
        Interlocked.And(ref _flags, ~Writing);
    }

    public IOException WriteFailure(SocketException e) =>
        _writeFailure is { } failure
            ? new ConnectionLimitException(failure.LimitName, failure.Message, e)
            : new IOException($"Writing to the connection failed: {e.Message}", e);

    /// <summary>
    /// A line went over <see cref="ServerLimits.MaxLineLength"/>: input stops (this and every later read throws), but
    /// the handler may still write an error reply; the server closes the connection after the handler.
    /// </summary>
    public ConnectionLimitException LineTooLong(int maxLineLength)
    {
        var failure = new ConnectionLimitException(
            nameof(ServerLimits.MaxLineLength),
            string.Create(CultureInfo.InvariantCulture, $"A line from the client is longer than ServerLimits.MaxLineLength ({maxLineLength} bytes, its \\n included); the connection's input was closed."));
        if (Interlocked.CompareExchange(ref _outcome, AbortedOutcome, Open) == Open)
        {
            _readFailure = failure;
            TryShutdown(SocketShutdown.Receive);
            _tracker.Aborted(this, nameof(ServerLimits.MaxLineLength), failure.Message);
        }

        return failure;
    }

    /// <summary>One heartbeat: ends the connection if it broke a deadline or a rate.</summary>
    public void Check(long now, ServerLimits limits, bool draining)
    {
        if (Volatile.Read(ref _outcome) != Open)
        {
            return;
        }

        TimeProvider time = _tracker.Time;
        int flags = Volatile.Read(ref _flags);
        if ((flags & Writing) != 0 && limits.MinSendRate is { } sendRate)
        {
            long bytes = Volatile.Read(ref _writeBytes);
            TimeSpan allowed = TimeSpan.FromSeconds(Math.Max(sendRate.GracePeriod.TotalSeconds, bytes / sendRate.BytesPerSecond));
            if (time.GetElapsedTime(Volatile.Read(ref _writeStart), now) > allowed)
            {
                Abort(nameof(ServerLimits.MinSendRate), string.Create(CultureInfo.InvariantCulture, $"A write of {bytes} bytes did not finish within {allowed.TotalSeconds:0.###} s (ServerLimits.MinSendRate, {sendRate}): the client is not reading; the connection was aborted."));
                return;
            }
        }

        if ((flags & Reading) == 0)
        {
            return;
        }

        if ((flags & FirstUnitDone) == 0 && limits.FirstUnitTimeout is { } firstUnit && time.GetElapsedTime(AcceptedAt, now) > firstUnit)
        {
            Abort(nameof(ServerLimits.FirstUnitTimeout), string.Create(CultureInfo.InvariantCulture, $"The client sent no complete first line or read within ServerLimits.FirstUnitTimeout ({firstUnit.TotalSeconds:0.###} s from the accept); the connection was aborted."));
            return;
        }

        if ((flags & InUnit) != 0)
        {
            if (limits.MinReceiveRate is { } receiveRate)
            {
                TimeSpan elapsed = time.GetElapsedTime(Volatile.Read(ref _unitStart), now);
                long bytes = Volatile.Read(ref _unitBytes);
                if (elapsed > receiveRate.GracePeriod && bytes < receiveRate.BytesPerSecond * elapsed.TotalSeconds)
                {
                    Abort(nameof(ServerLimits.MinReceiveRate), string.Create(CultureInfo.InvariantCulture, $"A line arrived at {bytes / elapsed.TotalSeconds:0.##} B/s ({bytes} bytes in {elapsed.TotalSeconds:0.###} s), below ServerLimits.MinReceiveRate ({receiveRate}); the connection was aborted."));
                }
            }

            return;
        }

        if (draining)
        {
            CloseIdle("Drain", "the server is draining");
        }
        else if (limits.IdleTimeout is { } idle && time.GetElapsedTime(Volatile.Read(ref _lastActivity), now) > idle)
        {
            CloseIdle(nameof(ServerLimits.IdleTimeout), string.Create(CultureInfo.InvariantCulture, $"no data for ServerLimits.IdleTimeout ({idle.TotalSeconds:0.###} s)"));
        }
    }

    /// <summary>Closes the connection's input if its handler waits for a new unit: the handler's read sees the end of the stream.</summary>
    public bool CloseIdleIfWaiting()
    {
        int flags = Volatile.Read(ref _flags);
        return (flags & Reading) != 0 && (flags & InUnit) == 0 && CloseIdle("Drain", "the server is draining");
    }

    /// <summary>
    /// Aborts the connection: later reads and writes throw <see cref="ConnectionLimitException"/>, blocked ones fail at
    /// once, and the close sends a reset so the kernel drops unsent output.
    /// </summary>
    public bool Abort(string limitName, string message)
    {
        if (Interlocked.CompareExchange(ref _outcome, AbortedOutcome, Open) != Open)
        {
            return false;
        }

        var failure = new ConnectionLimitException(limitName, message);
        _readFailure = failure;
        _writeFailure = failure;
        try
        {
            Requests.AcceptedSocket.ResetOnClose(Request);
        }
        catch (Exception e) when (SocketErrors.IsSocketLevel(e))
        {
        }

        // Reported before the shutdown, while the socket can still name its peer (afterwards it may not).
        _tracker.Aborted(this, limitName, message);
        TryShutdown(SocketShutdown.Both);
        return true;
    }

    private bool CloseIdle(string reason, string why)
    {
        if (Interlocked.CompareExchange(ref _outcome, IdleClosed, Open) != Open)
        {
            return false;
        }

        TryShutdown(SocketShutdown.Receive);
        _tracker.ClosedIdle(this, reason, why);
        return true;
    }

    private void ThrowIfReadFailed()
    {
        if (_readFailure is { } failure)
        {
            throw new ConnectionLimitException(failure.LimitName, failure.Message);
        }
    }

    private void TryShutdown(SocketShutdown how)
    {
        try
        {
            Requests.AcceptedSocket.Shutdown(Request, how);
        }
        catch (Exception e) when (SocketErrors.IsSocketLevel(e))
        {
            // Already closed, or the peer went away: there is nothing left to stop.
        }
    }
}
