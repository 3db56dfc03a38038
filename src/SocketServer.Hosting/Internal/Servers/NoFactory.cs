namespace SocketServer.Hosting.Internal.Servers;

/// <summary>The factory the scoped servers pass to the library: never called, since they override <c>CreateRequestHandler</c>.</summary>
internal static class NoFactory
{
    /// <summary>Throws: a scoped server creates each handler in its request's scope instead.</summary>
    public static readonly Func<BaseRequestHandler> Instance = static () =>
        throw new InvalidOperationException("A hosted server creates each handler in its request's service scope (CreateRequestHandler); its RequestHandlerFactory is not used.");
}
