using System.Net.Sockets;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Matrix;

/// <summary>
/// Issue #10's acceptance, for request errors: one request path (RequestPipeline), so an ordinary handler failure and
/// a refused request end the same way under every in-process mode and with both handler shapes. The forking rows are
/// SocketServer.Forking.Tests' ForkingMatrixTests; the exit family (<see cref="ServerExitException"/>) is
/// mode-specific by design and covered by ErrorHandlerTests and RequestPathTests.
/// </summary>
public sealed class RequestErrorMatrixTests
{
    public static TheoryData<ServeMode, HandlerShape> EveryMode => ServeModes.Rows(ServeModes.All);

    [Theory]
    [MemberData(nameof(EveryMode))]
    public void AnOrdinaryHandlerExceptionGoesToHandleErrorOnceAndServingGoesOn(ServeMode mode, HandlerShape shape)
    {
        using var handlers = new HandlerProbe();
        using ModeServer served = ServeModes.Start(mode, handlers.Factory(shape));
        using (Socket failing = Clients.ConnectStream(served.Address))
        {
            failing.Send("boom\n"u8);
            // The handler read everything the client sent, so the close is a clean end of stream, not a reset.
            Assert.Empty(Clients.ReceiveToEnd(failing));
        }

        served.Probe.WaitForErrors(1);
        served.AssertServesAGoodClient();
        // The failing request's and the good client's.
        served.Probe.WaitForShutdowns(2);
        served.Stop();

        (object request, Exception error) = Assert.Single(served.Probe.Errors);
        Assert.Equal("boom", Assert.IsType<InvalidOperationException>(error).Message);
        IReadOnlyDictionary<object, int> shutdowns = served.Probe.Shutdowns;
        Assert.Equal(1, shutdowns[request]);
        Assert.Equal(2, shutdowns.Count);
        Assert.All(shutdowns.Values, count => Assert.Equal(1, count));
        Assert.Empty(served.Probe.ThreadExceptions);
    }

    [Theory]
    [MemberData(nameof(EveryMode))]
    public void ARefusedRequestIsShutDownOnceAndNeverHandled(ServeMode mode, HandlerShape shape)
    {
        using var handlers = new HandlerProbe();
        using ModeServer served = ServeModes.Start(mode, handlers.Factory(shape), verify: static number => number > 1);
        using (Socket refused = Clients.ConnectStream(served.Address))
        {
            Assert.Empty(Clients.ReceiveToEnd(refused));
        }

        served.Probe.WaitForShutdowns(1);
        Assert.Equal(0, handlers.Created);
        // VerifyRequest refuses only the first request: the next client is served as usual.
        served.AssertServesAGoodClient();
        served.Probe.WaitForShutdowns(1);
        served.Stop();

        object request = Assert.Single(served.Probe.Refused);
        Assert.Equal(1, served.Probe.Shutdowns[request]);
        Assert.Equal(1, handlers.Created);
        Assert.Empty(served.Probe.Errors);
        Assert.Empty(served.Probe.ThreadExceptions);
    }
}
