using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SocketServer.Hosting.Internal;

/// <summary>One request's service scope, and its handler when that is not the container's to dispose.</summary>
/// <param name="scope">The scope the handler was resolved from.</param>
/// <param name="ownedHandler">The handler, when it was built outside the container; null otherwise.</param>
internal sealed class RequestScope(AsyncServiceScope scope, BaseRequestHandler? ownedHandler)
{
    /// <summary>
    /// Disposes the handler (if owned) and the scope, without blocking: the caller may be an event loop. A disposal that
    /// completes later is awaited off the caller; a failure is logged, never thrown, so that it cannot stop the server.
    /// </summary>
    /// <param name="logger">Where a failure is logged.</param>
    /// <param name="serverName">The server's name, for the log.</param>
    public void Release(ILogger logger, string serverName)
    {
        ValueTask disposing;
        try
        {
            disposing = DisposeAsync();
        }
        catch (Exception e)
        {
            logger.ScopeDisposeFailed(serverName, e);
            return;
        }

        if (!disposing.IsCompletedSuccessfully)
        {
            _ = ObserveAsync(disposing, logger, serverName);
        }
    }

    private static async Task ObserveAsync(ValueTask disposing, ILogger logger, string serverName)
    {
        try
        {
            await disposing.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            logger.ScopeDisposeFailed(serverName, e);
        }
    }

    private async ValueTask DisposeAsync()
    {
        try
        {
            switch (ownedHandler)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
        finally
        {
            await scope.DisposeAsync().ConfigureAwait(false);
        }
    }
}
