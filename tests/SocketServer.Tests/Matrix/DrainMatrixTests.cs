using System.Net.Sockets;
using SocketServer.Internal.Limits;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Matrix;

/// <summary>
/// Issue #10's acceptance, for <see cref="BaseServer.ShutdownAsync"/>: a drain closes the idle connection at once,
/// lets the busy one finish, ends the serve run and counts both the same way in every mode that serves connections
/// side by side. Not <see cref="ServeMode.Sync"/>: it serves one connection at a time, so it never has an idle and a
/// busy one together (DrainTests.ASynchronousServerDrainsTheRequestItIsServing covers its one). Not forking: its
/// parent tracks no connections, so its drain only stops accepting and counts nothing (documented on ShutdownAsync).
/// </summary>
public sealed class DrainMatrixTests
{
    public static TheoryData<ServeMode, HandlerShape> ModesServingConcurrently =>
        ServeModes.Rows(ServeMode.Threading, ServeMode.Reactor, ServeMode.Portable, ServeMode.IoUring);

    [Theory]
    [MemberData(nameof(ModesServingConcurrently))]
    public void ADrainClosesTheIdleConnectionLetsTheBusyOneFinishAndCountsBoth(ServeMode mode, HandlerShape shape)
    {
        using var handlers = new HandlerProbe();
        using ModeServer served = ServeModes.Start(mode, handlers.Factory(shape), limits =>
        {
            limits.FirstUnitTimeout = null;
            limits.MinReceiveRate = null;
        });
        using Socket idle = Clients.ConnectStream(served.Address);
        ModeServer.RoundTrip(idle, "quick\n");
        using Socket busy = Clients.ConnectStream(served.Address);
        busy.Send("hold\n"u8);
        handlers.WaitForHolding();
        List<ConnectionState> states = served.WaitForConnections(2);
        // The busy handler holds its line, so the one waiting in a receive is the idle connection's.
        Eventually.True(() => states.Count(s => s.IsReading && !s.IsInUnit) == 1, "the idle connection's handler waits for a line");

        Task<DrainResult> drain = served.Server.ShutdownAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(Clients.ReceiveToEnd(idle));
        Assert.False(drain.IsCompleted, "the drain ended while a request was in progress");

        handlers.Release();
        // Its whole reply, then the end: back in a receive while draining, the handler is closed as idle.
        Assert.Equal("hold\n"u8.ToArray(), Clients.ReceiveToEnd(busy));
        Assert.True(drain.Wait(TestTimeouts.Long), "the drain did not end");
        Assert.True(served.Serving.Wait(TestTimeouts.Long), "the serve run did not end after the drain");
        DrainResult result = drain.Result;
        Assert.Equal(1, result.Completed);
        Assert.Equal(1, result.ClosedIdle);
        Assert.Equal(0, result.Aborted);
        Assert.Equal(TimeSpan.Zero, result.Elapsed);
        served.Stop();
        Assert.Empty(handlers.Failures);
        Assert.Empty(served.Probe.Errors);
    }
}
