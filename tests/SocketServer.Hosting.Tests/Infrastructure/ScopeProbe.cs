using System.Collections.Concurrent;

namespace SocketServer.Hosting.Tests.Infrastructure;

/// <summary>A singleton that sees every <see cref="RequestScoped"/> service disposed, so a test can wait for one.</summary>
internal sealed class ScopeProbe : IDisposable
{
    private readonly ConcurrentDictionary<Guid, bool> _disposed = new();
    private readonly SemaphoreSlim _signal = new(0);

    public Guid Id { get; } = Guid.NewGuid();

    public bool IsDisposed(Guid id) => _disposed.ContainsKey(id);

    public void Disposed(Guid id)
    {
        _disposed[id] = true;
        _signal.Release();
    }

    /// <summary>Waits until the scoped service <paramref name="id"/> was disposed.</summary>
    public async Task WaitForDisposalAsync(Guid id)
    {
        while (!_disposed.ContainsKey(id))
        {
            Assert.True(await _signal.WaitAsync(TestTimeouts.Long, TestContext.Current.CancellationToken), $"the scoped service {id} was not disposed");
        }
    }

    public void Dispose() => _signal.Dispose();
}

/// <summary>A scoped service: one per request, disposed with the request's scope.</summary>
internal sealed class RequestScoped(ScopeProbe probe) : IDisposable
{
    public Guid Id { get; } = Guid.NewGuid();

    public void Dispose() => probe.Disposed(Id);
}
