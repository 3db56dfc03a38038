using System.Net.Sockets;
using SocketServer.Internal.Dispatch;
using SocketServer.Internal.Limits;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Matrix;

/// <summary>
/// Issue #10's acceptance, for <see cref="ServerLimits"/>: every in-process mode admits through the same tracker and
/// ends connections the same way, with both handler shapes. Time is a fake clock moved by hand; the heartbeat runs
/// inside each move, so nothing sleeps. Forking servers do not track connections
/// (<c>RequestDispatcher.TracksConnections</c>), so only the line cap, which the handler's reader enforces in the
/// worker, has forking rows (ForkingMatrixTests).
/// </summary>
public sealed class LimitsMatrixTests
{
    public static TheoryData<ServeMode, HandlerShape> EveryMode => ServeModes.Rows(ServeModes.All);

    /// <summary>
    /// Not <see cref="ServeMode.Sync"/>: its loop runs the first connection's handler itself, so it cannot accept a
    /// second one while the first is open, and the per-client cap never has a surplus to close.
    /// </summary>
    public static TheoryData<ServeMode, HandlerShape> ModesServingConcurrently =>
        ServeModes.Rows(ServeMode.Threading, ServeMode.Reactor, ServeMode.Portable, ServeMode.IoUring);

    [Theory]
    [MemberData(nameof(EveryMode))]
    public void ALineOverMaxLineLengthEndsOnlyThatConnectionWithoutHandleError(ServeMode mode, HandlerShape shape)
    {
        using var handlers = new HandlerProbe();
        using ModeServer served = ServeModes.Start(mode, handlers.Factory(shape), limits => limits.MaxLineLength = 64);
        using (Socket flood = Clients.ConnectStream(served.Address))
        {
            flood.Send(Enumerable.Repeat((byte)'A', 200).ToArray());
            ModeServer.AssertClosedByServer(flood);
        }

        handlers.WaitForFailure();
        served.Probe.WaitForShutdowns(1);
        served.AssertServesAGoodClient();
        served.Probe.WaitForShutdowns(1);
        served.Stop();

        var failure = Assert.IsType<ConnectionLimitException>(Assert.Single(handlers.Failures));
        Assert.Equal("MaxLineLength", failure.LimitName);
        Assert.Empty(served.Probe.Errors);
        Assert.Empty(served.Probe.ThreadExceptions);
        Assert.Equal(1, served.Tracker.AbortedCount);
        Assert.Contains("MaxLineLength", served.Probe.Diagnostics, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ModesServingConcurrently))]
    public void ASecondConnectionFromTheSameClientIsClosedWithoutData(ServeMode mode, HandlerShape shape)
    {
        using var handlers = new HandlerProbe();
        using ModeServer served = ServeModes.Start(mode, handlers.Factory(shape), limits => limits.MaxConnectionsPerClient = 1);
        using (Socket first = Clients.ConnectStream(served.Address))
        {
            ModeServer.RoundTrip(first, "one\n");
            using (Socket surplus = Clients.ConnectStream(served.Address))
            {
                Assert.Empty(Clients.ReceiveToEnd(surplus));
            }

            // The surplus got no handler, and the first connection is still served.
            ModeServer.RoundTrip(first, "still served\n");
            Assert.Equal(1, handlers.Created);
        }

        // The surplus's and the first's.
        served.Probe.WaitForShutdowns(2);
        served.Stop();
        Assert.Equal(1, served.Tracker.RejectedCount);
        Assert.Contains("MaxConnectionsPerClient (1)", served.Probe.Diagnostics, StringComparison.Ordinal);
        Assert.Empty(served.Probe.Errors);
    }

    [Theory]
    [MemberData(nameof(EveryMode))]
    public void AtMaxConnectionsTheNextClientWaitsInTheBacklogAndIsServedWhenTheFirstCloses(ServeMode mode, HandlerShape shape)
    {
        using var handlers = new HandlerProbe();
        using ModeServer served = ServeModes.Start(mode, handlers.Factory(shape), limits => limits.MaxConnections = 1);
        using Socket first = Clients.ConnectStream(served.Address);
        ModeServer.RoundTrip(first, "one\n");
        using Socket second = Clients.ConnectStream(served.Address);
        second.Send("two\n"u8);
        if (mode != ServeMode.Sync)
        {
            // Sync mode never pauses: its loop is inside the first request, so it does not try to accept at all.
            Eventually.True(() => served.Tracker.AcceptPauseCount >= 1, "accepting stopped at the cap");
        }

        Assert.Equal(1, served.Tracker.Count);
        ModeServer.RoundTrip(first, "still served\n");
        first.Dispose();

        // The freed slot lets the server accept the client that waited.
        Assert.Equal("two\n"u8.ToArray(), Clients.ReceiveAtLeast(second, 4));
        second.Shutdown(SocketShutdown.Send);
        Assert.Empty(Clients.ReceiveToEnd(second));
        served.Probe.WaitForShutdowns(2);
        served.Stop();
        Assert.Equal(0, served.Tracker.RejectedCount);
        Assert.Equal(2, handlers.Created);
        Assert.Empty(served.Probe.Errors);
    }

    [Theory]
    [MemberData(nameof(EveryMode))]
    public void AnIdleConnectionIsClosedAtTheIdleTimeoutAndItsHandlerSeesTheEnd(ServeMode mode, HandlerShape shape)
    {
        using var handlers = new HandlerProbe();
        using ModeServer served = ServeModes.Start(mode, handlers.Factory(shape), limits => limits.IdleTimeout = TimeSpan.FromSeconds(30));
        using (Socket idle = Clients.ConnectStream(served.Address))
        {
            ModeServer.RoundTrip(idle, "hello\n");
            ConnectionState state = served.WaitForConnections(1)[0];
            // And the reply's send is over: on io_uring a send counts as in progress until its completion is
            // handled, and moving the clock 30 s past one in flight cuts it at ServerLimits.MinSendRate instead.
            Eventually.True(() => state.IsReading && !state.IsWriting, "the handler waits in a receive for the next line, its reply sent");
            served.AdvanceSeconds(30);
            Assert.False(state.WasClosedIdle, "closed before the timeout");
            served.AdvanceSeconds(1);
            Assert.True(state.WasClosedIdle);
            handlers.WaitForEnd();
            Assert.Empty(Clients.ReceiveToEnd(idle));
        }

        served.Probe.WaitForShutdowns(1);
        served.AssertServesAGoodClient();
        served.Probe.WaitForShutdowns(1);
        served.Stop();
        Assert.Empty(handlers.Failures);
        Assert.Empty(served.Probe.Errors);
        Assert.Equal(1, served.Tracker.ClosedIdleCount);
        Assert.Contains("IdleTimeout", served.Probe.Diagnostics, StringComparison.Ordinal);
    }
}
