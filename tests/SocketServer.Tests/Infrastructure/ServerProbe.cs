using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace SocketServer.Tests.Infrastructure;

/// <summary>
/// What a <see cref="ServeModes"/> server's hooks saw, per request, whichever thread or loop called them: the
/// errors, the exceptions that reached the thread hook, the <c>ShutdownRequest</c> calls and the refused requests.
/// </summary>
internal sealed class ServerProbe(Func<int, bool>? verify) : IDisposable
{
    private readonly ConcurrentQueue<(object Request, Exception Error)> _errors = new();
    private readonly ConcurrentQueue<Exception> _threadExceptions = new();
    private readonly ConcurrentDictionary<object, int> _shutdowns = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentQueue<object> _refused = new();
    private readonly SemaphoreSlim _errorReported = new(0);
    private readonly SemaphoreSlim _shutDown = new(0);
    private readonly ConcurrentQueue<System.Net.EndPoint?> _verifiedClients = new();
    private int _verified;

    public FakeTimeProvider Clock { get; } = new();

    /// <summary>The server's log (its <c>LoggerFactory</c>): the limits' reports among others.</summary>
    public LogCapture Log { get; } = new();

    public string Diagnostics => Log.Text;

    public IReadOnlyList<(object Request, Exception Error)> Errors => [.. _errors];

    public IReadOnlyList<Exception> ThreadExceptions => [.. _threadExceptions];

    public IReadOnlyList<object> Refused => [.. _refused];

    /// <summary>How many times <c>ShutdownRequest</c> ran for each request it ran for.</summary>
    public IReadOnlyDictionary<object, int> Shutdowns => new Dictionary<object, int>(_shutdowns, ReferenceEqualityComparer.Instance);

    /// <summary>The client addresses <c>VerifyRequest</c> was given, in order.</summary>
    public IReadOnlyList<System.Net.EndPoint?> VerifiedClients => [.. _verifiedClients];

    public bool Verify(object request, System.Net.EndPoint? clientAddress = null)
    {
        _verifiedClients.Enqueue(clientAddress);
        if (verify?.Invoke(Interlocked.Increment(ref _verified)) is false)
        {
            _refused.Enqueue(request);
            return false;
        }

        return true;
    }

    public void AddError(object request, Exception error)
    {
        _errors.Enqueue((request, error));
        _errorReported.Release();
    }

    public void AddThreadException(Exception exception) => _threadExceptions.Enqueue(exception);

    public void AddShutdown(object request)
    {
        _shutdowns.AddOrUpdate(request, 1, static (_, count) => count + 1);
        _shutDown.Release();
    }

    /// <summary>Waits for the next <paramref name="count"/> reports to <c>HandleError</c>.</summary>
    public void WaitForErrors(int count) => WaitFor(_errorReported, count, "HandleError");

    /// <summary>Waits for the next <paramref name="count"/> calls of <c>ShutdownRequest</c>.</summary>
    public void WaitForShutdowns(int count) => WaitFor(_shutDown, count, "ShutdownRequest");

    public void Dispose()
    {
        _errorReported.Dispose();
        _shutDown.Dispose();
        Log.Dispose();
    }

    private static void WaitFor(SemaphoreSlim signal, int count, string hook)
    {
        for (int i = 0; i < count; i++)
        {
            Assert.True(signal.Wait(TestTimeouts.Long), $"{hook} was not called");
        }
    }
}
