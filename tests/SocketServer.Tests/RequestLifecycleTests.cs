using System.Net;
using System.Net.Sockets;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>SPEC §1.2 and §1.12: who calls what, in which order, and ShutdownRequest exactly once on every path.</summary>
public sealed class RequestLifecycleTests
{
    [Fact]
    public void SynchronousRequestRunsEveryHookInPythonsOrder()
    {
        var log = new HookLog();
        using var server = new RecordingTcpServer(log, () => new RecordingHandler(log));
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.Equal(
            ["GetRequest", "VerifyRequest", "ProcessRequest", "FinishRequest", "Setup", "Handle", "Finish", "ShutdownRequest", "CloseRequest"],
            log.Calls);
        Assert.Empty(Clients.ReceiveToEnd(client));
    }

    [Fact]
    public void RefusedRequestIsShutDownExactlyOnce()
    {
        var log = new HookLog();
        using var server = new RecordingTcpServer(log, () => new RecordingHandler(log), verify: false);
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.Equal(["GetRequest", "VerifyRequest", "ShutdownRequest", "CloseRequest"], log.Calls);
        Assert.Empty(Clients.ReceiveToEnd(client));
    }

    [Fact]
    public void HandlerExceptionGoesToHandleErrorThenShutdownRequestOnce()
    {
        var log = new HookLog();
        using var server = new RecordingTcpServer(log, () => new RecordingHandler(log, throwIn: "Handle"));
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.Equal(
            ["GetRequest", "VerifyRequest", "ProcessRequest", "FinishRequest", "Setup", "Handle", "Finish", "HandleError", "ShutdownRequest", "CloseRequest"],
            log.Calls);
        Assert.IsType<InvalidOperationException>(Assert.Single(log.Errors));
    }

    [Fact]
    public void FinishDoesNotRunWhenSetupThrows()
    {
        var log = new HookLog();
        using var server = new RecordingTcpServer(log, () => new RecordingHandler(log, throwIn: "Setup"));
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.DoesNotContain("Handle", log.Calls);
        Assert.DoesNotContain("Finish", log.Calls);
        Assert.Equal(1, log.Count("HandleError"));
        Assert.Equal(1, log.Count("ShutdownRequest"));
    }

    [Fact]
    public void FinishExceptionReplacesHandleException()
    {
        var log = new HookLog();
        var handler = new ThrowingTwiceHandler();
        using var server = new RecordingTcpServer(log, () => handler);
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.Equal("finish", Assert.Single(log.Errors).Message);
    }

    [Fact]
    public void ExceptionFromVerifyRequestPropagatesAndLeavesTheRequestOpen()
    {
        var log = new HookLog();
        using var server = new ThrowingVerifyServer(log);
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        Assert.Throws<InvalidDataException>(server.HandleRequest);
        Assert.Equal(0, log.Count("ShutdownRequest"));
        server.LastRequest?.Dispose();
    }

    [Fact]
    public void SocketErrorFromGetRequestIsIgnoredSilently()
    {
        var log = new HookLog();
        using var server = new FailingGetRequestServer(log);
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.Equal(["GetRequest"], log.Calls);
    }

    [Fact]
    public void HandlerSeesRequestClientAddressAndServer()
    {
        var seen = new TaskCompletionSource<(object Request, EndPoint? Client, BaseServer Server, Socket Connection)>();
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), () => new InspectingHandler(seen));
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        var (request, clientAddress, handlerServer, connection) = seen.Task.Result;
        Assert.Same(server, handlerServer);
        Assert.Same(request, connection);
        Assert.Equal(client.LocalEndPoint, clientAddress);
    }

    [Fact]
    public void AHandlerServesOneRequestOnly()
    {
        var handler = new BaseRequestHandler();
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), () => handler);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        handler.Serve(socket, null, server);
        Assert.Throws<InvalidOperationException>(() => handler.Serve(socket, null, server));
    }

    private sealed class ThrowingTwiceHandler : BaseRequestHandler
    {
        protected override void Handle() => throw new InvalidOperationException("handle");

        protected override void Finish() => throw new InvalidOperationException("finish");
    }

    private sealed class InspectingHandler(TaskCompletionSource<(object, EndPoint?, BaseServer, Socket)> seen) : StreamRequestHandler
    {
        protected override void Handle() => seen.SetResult((Request, ClientAddress, Server, Connection));
    }

    private sealed class ThrowingVerifyServer(HookLog log) : RecordingTcpServer(log, () => new BaseRequestHandler())
    {
        public Socket? LastRequest { get; private set; }

        protected override bool VerifyRequest(object request, EndPoint? clientAddress)
        {
            LastRequest = (Socket)request;
            throw new InvalidDataException("verify failed");
        }
    }

    private sealed class FailingGetRequestServer(HookLog log) : RecordingTcpServer(log, () => new BaseRequestHandler())
    {
        protected override (object Request, EndPoint? ClientAddress) GetRequest()
        {
            Log.Add("GetRequest");
            throw new SocketException((int)SocketError.ConnectionAborted);
        }
    }
}
