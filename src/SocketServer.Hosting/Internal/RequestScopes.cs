using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SocketServer.Hosting.Internal;

/// <summary>
/// The service scopes of one server's requests in progress: one is created with each request's handler
/// (<see cref="BaseServer.CreateRequestHandler"/>) and disposed when the request ends
/// (<see cref="BaseServer.ShutdownRequest"/>, which the library calls once the handler has finished, an async
/// handler's task included), on whatever thread or event loop that happens.
/// </summary>
/// <param name="scopeFactory">The host's root scope factory.</param>
/// <param name="activator">Creates the server's handlers.</param>
/// <param name="logger">Where a failed disposal is logged.</param>
/// <param name="serverName">The server's name, for the log.</param>
internal sealed class RequestScopes(IServiceScopeFactory scopeFactory, HandlerActivator activator, ILogger logger, string serverName)
{
    // Keyed by the request object itself, the one argument every hook is given (a socket, or a datagram's request).
    private readonly ConcurrentDictionary<object, RequestScope> _open = new(ReferenceEqualityComparer.Instance);

    /// <summary>How many requests hold a scope now.</summary>
    public int Open => _open.Count;

    /// <summary>Creates <paramref name="request"/>'s scope and its handler, resolved from it.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The handler.</returns>
    public BaseRequestHandler Create(object request)
    {
        AsyncServiceScope scope = scopeFactory.CreateAsyncScope();
        BaseRequestHandler handler;
        bool owned;
        try
        {
            (handler, owned) = activator.Create(scope.ServiceProvider);
        }
        catch
        {
            // The library reports the failure (HandleError) and ends the request, which then has no scope to release.
            new RequestScope(scope, null).Release(logger, serverName);
            throw;
        }

        _open[request] = new RequestScope(scope, owned ? handler : null);
        return handler;
    }

    /// <summary>Releases <paramref name="request"/>'s scope, if it has one (a refused request has none).</summary>
    /// <param name="request">The request that ended.</param>
    public void End(object request)
    {
        if (_open.TryRemove(request, out RequestScope? scope))
        {
            scope.Release(logger, serverName);
        }
    }
}
