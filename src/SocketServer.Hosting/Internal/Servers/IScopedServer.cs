namespace SocketServer.Hosting.Internal.Servers;

/// <summary>
/// A server whose handlers are created in a service scope per request: <c>CreateRequestHandler</c> takes them from
/// <see cref="Scopes"/>, <c>ShutdownRequest</c> releases the scope. C# has no mix-ins, so each of the library's twelve
/// server classes has its scoped twin here, each the same two overrides.
/// </summary>
internal interface IScopedServer
{
    /// <summary>The scopes of the requests in progress.</summary>
    RequestScopes Scopes { get; }
}
