using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SocketServer;
using SocketServer.Hosting;
using SocketServer.Hosting.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds SocketServer's servers to a host: <c>builder.Services.AddSocketServer&lt;EchoHandler&gt;("echo")</c>.</summary>
public static class SocketServerServiceCollectionExtensions
{
    /// <summary>
    /// Adds a server named <paramref name="name"/> served by <typeparamref name="THandler"/>, configured from the section
    /// <c>SocketServer:Servers:NAME</c>.
    /// </summary>
    /// <typeparam name="THandler">The handler; a new one per request, from the request's own service scope.</typeparam>
    /// <param name="services">The host's services.</param>
    /// <param name="name">The server's name.</param>
    /// <returns>The server's builder, to add a handler for its other endpoints or to configure it in code.</returns>
    /// <exception cref="InvalidOperationException">A server of that name was added already.</exception>
    /// <remarks>See <see cref="AddSocketServer(IServiceCollection, string)"/>.</remarks>
    public static SocketServerBuilder AddSocketServer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IServiceCollection services, string name)
        where THandler : BaseRequestHandler =>
        services.AddSocketServer(name).UseHandler<THandler>();

    /// <summary>
    /// Adds a server named <paramref name="name"/> served by <typeparamref name="THandler"/>, configured from the section
    /// <c>SocketServer:Servers:NAME</c> if there is one, then by <paramref name="configure"/>.
    /// </summary>
    /// <typeparam name="THandler">The handler; a new one per request, from the request's own service scope.</typeparam>
    /// <param name="services">The host's services.</param>
    /// <param name="name">The server's name.</param>
    /// <param name="configure">Sets the server's endpoints, mode, limits... in code.</param>
    /// <returns>The server's builder.</returns>
    /// <exception cref="InvalidOperationException">A server of that name was added already.</exception>
    /// <remarks>See <see cref="AddSocketServer(IServiceCollection, string)"/>.</remarks>
    public static SocketServerBuilder AddSocketServer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IServiceCollection services, string name, Action<SocketServerOptions> configure)
        where THandler : BaseRequestHandler =>
        services.AddSocketServer(name).UseHandler<THandler>().Configure(configure);

    /// <summary>
    /// Adds a server named <paramref name="name"/>, configured from the section <c>SocketServer:Servers:NAME</c>; give it
    /// its handlers with <see cref="SocketServerBuilder.UseHandler{THandler}()"/>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="name">The server's name: the key of its configuration section and of its <see cref="SocketServerOptions"/>.</param>
    /// <returns>The server's builder.</returns>
    /// <exception cref="InvalidOperationException">A server of that name (in any case) was added already.</exception>
    /// <remarks>
    /// <para>The servers run as one hosted service. When the host starts, the options are validated (every problem
    /// reported at once, naming its configuration key), then each endpoint's server is built and bound: a failure to bind
    /// fails the start with the library's message (<see cref="ServerBindException"/>), and what was bound is closed.
    /// The servers then serve, with the host's <c>ILoggerFactory</c>, <c>IMeterFactory</c> and, if it has one, its
    /// <see cref="TimeProvider"/>. When the host stops, they drain together within its <c>HostOptions.ShutdownTimeout</c>
    /// (<see cref="BaseServer.ShutdownAsync"/>), are closed, and each drain's result is logged.</para>
    /// <para><see cref="HostedSocketServers"/>, from the container, lists the endpoints bound.</para>
    /// </remarks>
    public static SocketServerBuilder AddSocketServer(this IServiceCollection services, string name)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (services.Any(d => d.ServiceType == typeof(ServerRegistration) && d.ImplementationInstance is ServerRegistration r
            && r.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new InvalidOperationException($"A socket server named '{name}' was added already; each server needs a name of its own (its configuration section is SocketServer:Servers:NAME).");
        }

        var registration = new ServerRegistration(name);
        services.AddSingleton(registration);
        // Bound from configuration first, so that code given to Configure has the last word.
        services.AddSingleton<IConfigureOptions<SocketServerOptions>>(sp => new ServerSectionBinder(name, sp.GetService<IConfiguration>()));
        services.AddOptions<SocketServerOptions>(name).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<SocketServerHostOptions>, HostSectionBinder>(
            static sp => new HostSectionBinder(sp.GetService<IConfiguration>())));
        services.AddOptions<SocketServerHostOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SocketServerHostOptions>, HostOptionsValidator>());
        services.TryAddSingleton(static _ => new HostedSocketServers());
        services.TryAddSingleton(static sp => new ContentRoot(sp.GetService<IHostEnvironment>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SocketServerOptions>, OptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<ConsoleLifetimeOptions>, QuietForkingWorker>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SocketServerHostedService>());
        return new SocketServerBuilder(services, registration);
    }
}
