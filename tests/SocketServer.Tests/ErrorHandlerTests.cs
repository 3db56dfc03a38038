using System.Net;
using System.Net.Sockets;
using SocketServer.Internal;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>CPython's ErrorHandlerTest: ordinary exceptions are handled, the exit family propagates.</summary>
public sealed class ErrorHandlerTests
{
    [Fact]
    public void SyncHandled()
    {
        var log = new HookLog();
        using var server = new RecordingTcpServer(log, () => new RecordingHandler(log, "Handle", () => new ArgumentException("bad")));
        using (Clients.ConnectStream(server.ServerAddress))
        {
        }

        server.HandleRequest();
        Assert.IsType<ArgumentException>(Assert.Single(log.Errors));
        Assert.Equal(1, log.Count("ShutdownRequest"));
    }

    [Fact]
    public void SyncNotHandled()
    {
        var log = new HookLog();
        using var server = new RecordingTcpServer(log, () => new RecordingHandler(log, "Handle", () => new ServerExitException()));
        using (Clients.ConnectStream(server.ServerAddress))
        {
        }

        Assert.Throws<ServerExitException>(server.HandleRequest);
        Assert.Empty(log.Errors);
        Assert.Equal(1, log.Count("ShutdownRequest"));
    }

    [Fact]
    public void ExitExceptionEndsServeForever()
    {
        var log = new HookLog();
        using var server = new RecordingTcpServer(log, () => new RecordingHandler(log, "Handle", () => new ServerExitException("stop")));
        var loop = Task.Run(() => server.ServeForever(TimeSpan.FromMilliseconds(10)));
        using (Clients.ConnectStream(server.ServerAddress))
        {
        }

        var e = Assert.Throws<AggregateException>(() => loop.Wait(TestTimeouts.Long));
        Assert.IsType<ServerExitException>(e.InnerException);
        Assert.Equal(1, log.Count("ShutdownRequest"));
        Assert.Empty(log.Errors);
        // The loop's finally ran: a later Shutdown returns at once instead of waiting for a loop.
        Assert.True(Task.Run(server.Shutdown).Wait(TestTimeouts.Long));
    }

    [Fact]
    public void ThreadingHandled()
    {
        var log = new HookLog();
        using var server = new RecordingThreadingTcpServer(log, () => new RecordingHandler(log, "Handle", () => new ArgumentException("bad")));
        using (Clients.ConnectStream(server.ServerAddress))
        {
        }

        server.HandleRequest();
        log.WaitForShutdownRequests(1);
        server.ServerClose();
        Assert.IsType<ArgumentException>(Assert.Single(log.Errors));
        Assert.Empty(log.ThreadExceptions);
    }

    [Fact]
    public void ThreadingNotHandledReachesTheThreadHookAndTheProcessSurvives()
    {
        var log = new HookLog();
        using var server = new RecordingThreadingTcpServer(log, () => new RecordingHandler(log, "Handle", () => new ServerExitException()));
        using (Clients.ConnectStream(server.ServerAddress))
        {
        }

        server.HandleRequest();
        log.WaitForShutdownRequests(1);
        server.ServerClose();
        Assert.Empty(log.Errors);
        Assert.IsType<ServerExitException>(Assert.Single(log.ThreadExceptions));
        Assert.Equal(["FinishRequest", "Setup", "Handle", "Finish", "ShutdownRequest", "HandleThreadException"], log.Calls);
    }

    [Fact]
    public void ExceptionFromHandleErrorOnAThreadReachesTheThreadHook()
    {
        var log = new HookLog();
        using var server = new ThrowingHandleErrorServer(log);
        using (Clients.ConnectStream(server.ServerAddress))
        {
        }

        server.HandleRequest();
        server.ServerClose();
        Assert.Equal("from HandleError", Assert.Single(log.ThreadExceptions).Message);
        Assert.Equal(1, log.Count("ShutdownRequest"));
    }

    [Fact]
    public void DefaultReportHasPythonsShape()
    {
        var writer = new StringWriter();
        ErrorReport.Write(writer, new IPEndPoint(IPAddress.Loopback, 4242), new InvalidOperationException("boom"));
        string[] lines = writer.ToString().Split(Environment.NewLine);
        Assert.Equal(new string('-', 40), lines[0]);
        Assert.Equal("Exception occurred during processing of request from 127.0.0.1:4242", lines[1]);
        Assert.StartsWith("System.InvalidOperationException: boom", lines[2], StringComparison.Ordinal);
        Assert.Equal(new string('-', 40), lines[^2]);
    }

    private sealed class ThrowingHandleErrorServer(HookLog log)
        : ThreadingTcpServer(new IPEndPoint(IPAddress.Loopback, 0), () => new RecordingHandler(log, "Handle"))
    {
        protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) =>
            throw new InvalidOperationException("from HandleError");

        protected override void HandleThreadException(object request, EndPoint? clientAddress, Exception exception) =>
            log.AddThreadException(exception);

        protected override void ShutdownRequest(object request)
        {
            log.Add("ShutdownRequest");
            base.ShutdownRequest(request);
        }
    }
}
