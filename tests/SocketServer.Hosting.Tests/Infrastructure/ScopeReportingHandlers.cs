using System.Text;

namespace SocketServer.Hosting.Tests.Infrastructure;

/// <summary>Answers every line with "SCOPED SINGLETON": the ids of its request's scoped service and of the singleton.</summary>
internal sealed class SyncScopeReporter(RequestScoped scoped, ScopeProbe shared) : StreamRequestHandler
{
    protected override void Handle()
    {
        for (byte[] line = RFile.ReadLine(); line.Length > 0; line = RFile.ReadLine())
        {
            WFile.Write(Encoding.UTF8.GetBytes($"{scoped.Id} {shared.Id}\n"));
            WFile.Flush();
        }
    }
}

/// <summary>The async twin of <see cref="SyncScopeReporter"/>.</summary>
internal sealed class AsyncScopeReporter(RequestScoped scoped, ScopeProbe shared) : AsyncStreamRequestHandler
{
    protected override async ValueTask HandleAsync()
    {
        while (await ReadLineAsync() is not null)
        {
            await Output.WriteAsync(Encoding.UTF8.GetBytes($"{scoped.Id} {shared.Id}\n"));
        }
    }
}

/// <summary>
/// Answers a datagram with the id of its request's scoped service after a yield, or "disposed" if its scope was
/// disposed meanwhile: the scope must outlive the handler's task.
/// </summary>
internal sealed class AsyncDatagramScopeReporter(RequestScoped scoped, ScopeProbe probe) : AsyncDatagramRequestHandler
{
    protected override async ValueTask HandleAsync()
    {
        await Task.Yield();
        Reply(Encoding.UTF8.GetBytes(probe.IsDisposed(scoped.Id) ? "disposed" : scoped.Id.ToString()));
    }
}

/// <summary>Answers a datagram with the id of its request's scoped service, on the request's thread.</summary>
internal sealed class SyncDatagramScopeReporter(RequestScoped scoped) : DatagramRequestHandler
{
    protected override void Handle() => WFile.Write(Encoding.UTF8.GetBytes(scoped.Id.ToString()));
}
