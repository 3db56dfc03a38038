namespace SocketServer.Hosting.Internal;

/// <summary>
/// A server added with <c>AddSocketServer</c>: its name (the key of its options and configuration section) and its
/// handlers, one for stream endpoints and one for datagram endpoints (a plain handler may serve both).
/// </summary>
/// <param name="name">The server's name.</param>
internal sealed class ServerRegistration(string name)
{
    /// <summary>The server's name: its options' name, and its section under <c>SocketServer:Servers</c>.</summary>
    public string Name { get; } = name;

    /// <summary>Creates the handlers of the stream endpoints (TCP, Unix stream); null until a handler serves them.</summary>
    public HandlerActivator? StreamHandler { get; private set; }

    /// <summary>Creates the handlers of the datagram endpoints (UDP, Unix datagram); null until a handler serves them.</summary>
    public HandlerActivator? DatagramHandler { get; private set; }

    /// <summary>The configuration section of the server.</summary>
    public string SectionPath => SocketServerOptions.ServersSection + ":" + Name;

    /// <summary>Adds a handler: for the stream endpoints, the datagram endpoints, or both, as its type serves them.</summary>
    /// <param name="activator">The handler's activator.</param>
    /// <exception cref="InvalidOperationException">A handler for those endpoints was added already.</exception>
    public void Add(HandlerActivator activator)
    {
        if ((activator.ServesStreams && StreamHandler is not null) || (activator.ServesDatagrams && DatagramHandler is not null))
        {
            HandlerActivator existing = (activator.ServesStreams ? StreamHandler : DatagramHandler)!;
            throw new InvalidOperationException(
                $"The socket server '{Name}' has a handler for those endpoints already ({existing.HandlerType.Name}); it cannot also use {activator.HandlerType.Name}.");
        }

        if (activator.ServesStreams)
        {
            StreamHandler = activator;
        }

        if (activator.ServesDatagrams)
        {
            DatagramHandler = activator;
        }
    }

    /// <summary>The activator for an endpoint of <paramref name="kind"/>, or null when no handler serves it.</summary>
    public HandlerActivator? HandlerFor(EndpointKind kind) =>
        kind is EndpointKind.Tcp or EndpointKind.Unix ? StreamHandler : DatagramHandler;
}
