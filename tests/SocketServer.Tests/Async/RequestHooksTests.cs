using System.Net;
using SocketServer.Internal.Requests;

namespace SocketServer.Tests.Async;

/// <summary>
/// Which server classes let code other than the library's see their requests: only those may never be handed the
/// library's lazily built <see cref="AcceptedSocket"/>.
/// </summary>
public sealed class RequestHooksTests
{
    public static TheoryData<Type> ServersWithARequestHook => new()
    {
        typeof(OverridesVerify),
        typeof(OverridesProcess),
        typeof(OverridesFinish),
        typeof(OverridesCreateHandler),
        typeof(OverridesShutdown),
        typeof(OverridesClose),
        typeof(OverridesHandleError),
        typeof(OverridesThreadException),
        typeof(InheritsAnOverride),
    };

    [Theory]
    [InlineData(typeof(TcpServer))]
    [InlineData(typeof(ThreadingTcpServer))]
    [InlineData(typeof(OverridesNoRequestHook))]
    public void TheLibrarysOwnHooksLeaveTheRequestToTheLibrary(Type serverType) =>
        Assert.False(RequestHooks.AreOverridden(serverType));

    [Theory]
    [MemberData(nameof(ServersWithARequestHook))]
    public void AServerThatOverridesAHookGivenTheRequestIsSeen(Type serverType) =>
        Assert.True(RequestHooks.AreOverridden(serverType));

    private class OverridesVerify(EndPoint address) : TcpServer(address, static () => new BaseRequestHandler())
    {
        protected override bool VerifyRequest(object request, EndPoint? clientAddress) => true;
    }

    private sealed class InheritsAnOverride(EndPoint address) : OverridesVerify(address);

    private sealed class OverridesProcess(EndPoint address) : TcpServer(address, static () => new BaseRequestHandler())
    {
        protected override void ProcessRequest(object request, EndPoint? clientAddress) => base.ProcessRequest(request, clientAddress);
    }

    private sealed class OverridesFinish(EndPoint address) : TcpServer(address, static () => new BaseRequestHandler())
    {
        protected override void FinishRequest(object request, EndPoint? clientAddress) => base.FinishRequest(request, clientAddress);
    }

    private sealed class OverridesCreateHandler(EndPoint address) : TcpServer(address, static () => new BaseRequestHandler())
    {
        protected override BaseRequestHandler CreateRequestHandler(object request, EndPoint? clientAddress) => new();
    }

    private sealed class OverridesShutdown(EndPoint address) : TcpServer(address, static () => new BaseRequestHandler())
    {
        protected override void ShutdownRequest(object request) => base.ShutdownRequest(request);
    }

    private sealed class OverridesClose(EndPoint address) : TcpServer(address, static () => new BaseRequestHandler())
    {
        protected override void CloseRequest(object request) => base.CloseRequest(request);
    }

    private sealed class OverridesHandleError(EndPoint address) : TcpServer(address, static () => new BaseRequestHandler())
    {
        protected override void HandleError(object request, EndPoint? clientAddress, Exception exception)
        {
        }
    }

    private sealed class OverridesThreadException(EndPoint address) : TcpServer(address, static () => new BaseRequestHandler())
    {
        protected override void HandleThreadException(object request, EndPoint? clientAddress, Exception exception)
        {
        }
    }

    private sealed class OverridesNoRequestHook(EndPoint address) : TcpServer(address, static () => new BaseRequestHandler())
    {
        protected override void ServiceActions()
        {
        }
    }
}
