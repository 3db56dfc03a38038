using System.Net;

namespace SocketServer.Hosting.Internal.Servers;

/// <summary>A <see cref="ThreadingUdpServer"/> whose handlers live in a service scope per request (see <see cref="IScopedServer"/>).</summary>
/// <param name="address">The address to bind.</param>
/// <param name="scopes">The scopes of its requests.</param>
internal sealed class ScopedThreadingUdpServer(EndPoint address, RequestScopes scopes)
    : ThreadingUdpServer(address, NoFactory.Instance, bindAndActivate: false), IScopedServer
{
    /// <inheritdoc/>
    public RequestScopes Scopes => scopes;

    /// <inheritdoc/>
    protected override BaseRequestHandler CreateRequestHandler(object request, EndPoint? clientAddress) => scopes.Create(request);

    /// <inheritdoc/>
    protected override void ShutdownRequest(object request)
    {
        try
        {
            base.ShutdownRequest(request);
        }
        finally
        {
            scopes.End(request);
        }
    }
}
