using System.Collections.Concurrent;
using System.Net;

namespace SocketServer.Tests.Infrastructure;

/// <summary>Records which hooks ran, in order, and the exceptions they saw; thread-safe.</summary>
internal sealed class HookLog
{
    private readonly ConcurrentQueue<string> _calls = new();
    private readonly ConcurrentQueue<Exception> _errors = new();
    private readonly ConcurrentQueue<Exception> _threadExceptions = new();

    public SemaphoreSlim RequestShutDown { get; } = new(0);

    public IReadOnlyList<string> Calls => [.. _calls];

    public IReadOnlyList<Exception> Errors => [.. _errors];

    public IReadOnlyList<Exception> ThreadExceptions => [.. _threadExceptions];

    public void Add(string call) => _calls.Enqueue(call);

    public void AddError(Exception e)
    {
        _calls.Enqueue("HandleError");
        _errors.Enqueue(e);
    }

    public void AddThreadException(Exception e)
    {
        _calls.Enqueue("HandleThreadException");
        _threadExceptions.Enqueue(e);
    }

    public int Count(string call) => _calls.Count(c => c == call);

    public void WaitForShutdownRequests(int count)
    {
        for (int i = 0; i < count; i++)
        {
            Assert.True(RequestShutDown.Wait(TestTimeouts.Long), "ShutdownRequest was not called");
        }
    }
}

/// <summary>A synchronous TCP server that records its hooks; CPython's tests subclass the server the same way.</summary>
internal class RecordingTcpServer(HookLog log, Func<BaseRequestHandler> factory, bool verify = true)
    : TcpServer(new IPEndPoint(IPAddress.Loopback, 0), factory)
{
    public HookLog Log { get; } = log;

    protected override (object Request, EndPoint? ClientAddress) GetRequest()
    {
        Log.Add("GetRequest");
        return base.GetRequest();
    }

    protected override bool VerifyRequest(object request, EndPoint? clientAddress)
    {
        Log.Add("VerifyRequest");
        return verify;
    }

    protected override void ProcessRequest(object request, EndPoint? clientAddress)
    {
        Log.Add("ProcessRequest");
        base.ProcessRequest(request, clientAddress);
    }

    protected override void FinishRequest(object request, EndPoint? clientAddress)
    {
        Log.Add("FinishRequest");
        base.FinishRequest(request, clientAddress);
    }

    protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) => Log.AddError(exception);

    protected override void HandleThreadException(object request, EndPoint? clientAddress, Exception exception) =>
        Log.AddThreadException(exception);

    protected override void ShutdownRequest(object request)
    {
        Log.Add("ShutdownRequest");
        base.ShutdownRequest(request);
        Log.RequestShutDown.Release();
    }

    protected override void CloseRequest(object request)
    {
        Log.Add("CloseRequest");
        base.CloseRequest(request);
    }

    protected override void HandleTimeout() => Log.Add("HandleTimeout");

    protected override void ServiceActions() => Log.Add("ServiceActions");
}

/// <summary>The threading twin of <see cref="RecordingTcpServer"/>.</summary>
internal sealed class RecordingThreadingTcpServer(HookLog log, Func<BaseRequestHandler> factory)
    : ThreadingTcpServer(new IPEndPoint(IPAddress.Loopback, 0), factory)
{
    protected override void FinishRequest(object request, EndPoint? clientAddress)
    {
        log.Add("FinishRequest");
        base.FinishRequest(request, clientAddress);
    }

    protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) => log.AddError(exception);

    protected override void HandleThreadException(object request, EndPoint? clientAddress, Exception exception) =>
        log.AddThreadException(exception);

    protected override void ShutdownRequest(object request)
    {
        log.Add("ShutdownRequest");
        base.ShutdownRequest(request);
        log.RequestShutDown.Release();
    }
}

/// <summary>A handler that records its steps and can be told to throw at one of them.</summary>
internal sealed class RecordingHandler(HookLog log, string? throwIn = null, Func<Exception>? exception = null) : StreamRequestHandler
{
    protected override void Setup()
    {
        log.Add("Setup");
        base.Setup();
        ThrowIf("Setup");
    }

    protected override void Handle()
    {
        log.Add("Handle");
        ThrowIf("Handle");
    }

    protected override void Finish()
    {
        log.Add("Finish");
        base.Finish();
        ThrowIf("Finish");
    }

    private void ThrowIf(string step)
    {
        if (throwIn == step)
        {
            throw exception?.Invoke() ?? new InvalidOperationException($"thrown in {step}");
        }
    }
}
