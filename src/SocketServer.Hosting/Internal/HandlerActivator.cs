using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;

namespace SocketServer.Hosting.Internal;

/// <summary>
/// Creates a server's handlers from a request's service provider: the handler type as registered in the container, or
/// else built with <see cref="ActivatorUtilities"/> (its constructor's parameters resolved from that provider), or by a
/// factory given in code.
/// </summary>
internal sealed class HandlerActivator
{
    private readonly Func<IServiceProvider, (BaseRequestHandler Handler, bool Owned)> _create;

    private HandlerActivator(Type handlerType, Func<IServiceProvider, (BaseRequestHandler Handler, bool Owned)> create)
    {
        HandlerType = handlerType;
        _create = create;
        IsStream = typeof(StreamRequestHandler).IsAssignableFrom(handlerType) || typeof(AsyncStreamRequestHandler).IsAssignableFrom(handlerType);
        IsDatagram = typeof(DatagramRequestHandler).IsAssignableFrom(handlerType) || typeof(AsyncDatagramRequestHandler).IsAssignableFrom(handlerType);
    }

    /// <summary>The handler type, for messages.</summary>
    public Type HandlerType { get; }

    /// <summary>Whether it serves stream endpoints: a stream handler, or a plain <see cref="BaseRequestHandler"/> that reads <c>Request</c> itself.</summary>
    public bool ServesStreams => IsStream || !IsDatagram;

    /// <summary>Whether it serves datagram endpoints: a datagram handler, or a plain <see cref="BaseRequestHandler"/>.</summary>
    public bool ServesDatagrams => IsDatagram || !IsStream;

    private bool IsStream { get; }

    private bool IsDatagram { get; }

    /// <summary>Handlers of type <typeparamref name="THandler"/>: resolved if registered, otherwise built by <see cref="ActivatorUtilities"/>.</summary>
    /// <typeparam name="THandler">The handler type.</typeparam>
    /// <returns>The activator.</returns>
    public static HandlerActivator Of<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>()
        where THandler : BaseRequestHandler
    {
        ObjectFactory<THandler>? factory = null;
        return new HandlerActivator(typeof(THandler), services =>
        {
            // Registered (scoped or transient): the container builds it, and disposes it with the scope if it is disposable.
            if (services.GetService(typeof(THandler)) is THandler registered)
            {
                return (registered, false);
            }

            // Not registered: built here (the constructor is chosen once, as for Kestrel's middleware), so disposed here.
            factory ??= ActivatorUtilities.CreateFactory<THandler>([]);
            return (factory(services, null), true);
        });
    }

    /// <summary>Handlers made by <paramref name="factory"/> from the request's service provider.</summary>
    /// <typeparam name="THandler">The handler type the factory returns.</typeparam>
    /// <param name="factory">Returns a new handler each time.</param>
    /// <returns>The activator.</returns>
    public static HandlerActivator From<THandler>(Func<IServiceProvider, THandler> factory)
        where THandler : BaseRequestHandler =>
        new(typeof(THandler), services => (factory(services), true));

    /// <summary>A new handler, created from the request's own service provider.</summary>
    /// <param name="services">The request scope's provider.</param>
    /// <returns>The handler, and whether it is this activator's to dispose (the container disposes what it resolved).</returns>
    /// <exception cref="InvalidOperationException">The factory returned null, or the handler cannot be built.</exception>
    public (BaseRequestHandler Handler, bool Owned) Create(IServiceProvider services)
    {
        (BaseRequestHandler? handler, bool owned) = _create(services);
        return handler is null
            ? throw new InvalidOperationException($"The handler factory for {HandlerType.Name} returned null.")
            : (handler, owned);
    }
}
