using System.Net;

namespace SocketServer.Hosting.Internal.Servers;

/// <summary>A <see cref="ForkingUnixStreamServer"/> whose handlers live in a service scope per request (see <see cref="IScopedServer"/>).</summary>
/// <param name="address">The address to bind.</param>
/// <param name="scopes">The scopes of its requests.</param>
internal sealed class ScopedForkingUnixStreamServer(EndPoint address, RequestScopes scopes)
    : ForkingUnixStreamServer(address, NoFactory.Instance, bindAndActivate: false), IScopedServer
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
