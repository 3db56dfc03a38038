using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using SocketServer.Hosting.Internal;

namespace SocketServer.Hosting;

/// <summary>
/// One hosted server being added (<c>AddSocketServer</c>): give it its handlers and, in code, its settings.
/// </summary>
/// <remarks>
/// A server has one handler for its stream endpoints (a <see cref="StreamRequestHandler"/> or
/// <see cref="AsyncStreamRequestHandler"/>) and one for its datagram endpoints (a <see cref="DatagramRequestHandler"/> or
/// <see cref="AsyncDatagramRequestHandler"/>); a plain <see cref="BaseRequestHandler"/> serves both. Each request gets a
/// handler of its own, created in a dependency-injection scope of its own that is disposed when the request ends.
/// </remarks>
public sealed class SocketServerBuilder
{
    private readonly ServerRegistration _registration;

    internal SocketServerBuilder(IServiceCollection services, ServerRegistration registration)
    {
        Services = services;
        _registration = registration;
    }

    /// <summary>The server's name: the name of its <see cref="SocketServerOptions"/> and of its configuration section.</summary>
    public string Name => _registration.Name;

    /// <summary>The services the server was added to.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Serves the endpoints this handler type fits with a new <typeparamref name="THandler"/> per request: resolved from
    /// the request's scope if it is registered (scoped or transient), otherwise built with its constructor's parameters
    /// resolved from that scope (<see cref="ActivatorUtilities"/>).
    /// </summary>
    /// <typeparam name="THandler">The handler type.</typeparam>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException">The server has a handler for those endpoints already.</exception>
    public SocketServerBuilder UseHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>()
        where THandler : BaseRequestHandler
    {
        _registration.Add(HandlerActivator.Of<THandler>());
        return this;
    }

    /// <summary>
    /// Serves the endpoints this handler type fits with the handler <paramref name="factory"/> returns, called once per
    /// request with the request's scoped service provider.
    /// </summary>
    /// <typeparam name="THandler">The handler type.</typeparam>
    /// <param name="factory">Returns a new handler each time.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException">The server has a handler for those endpoints already.</exception>
    public SocketServerBuilder UseHandler<THandler>(Func<IServiceProvider, THandler> factory)
        where THandler : BaseRequestHandler
    {
        ArgumentNullException.ThrowIfNull(factory);
        _registration.Add(HandlerActivator.From(factory));
        return this;
    }

    /// <summary>Changes the server's settings in code, after they were read from configuration.</summary>
    /// <param name="configure">Changes the settings.</param>
    /// <returns>This builder.</returns>
    public SocketServerBuilder Configure(Action<SocketServerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(Name, configure);
        return this;
    }
}
