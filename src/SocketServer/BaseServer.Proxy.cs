using System.Net;
using System.Runtime.CompilerServices;

namespace SocketServer;

public abstract partial class BaseServer
{
    // Keyed by the request object (weakly: a header goes with its socket, and nothing must remember to remove it).
    private ConditionalWeakTable<object, ProxyHeader>? _proxyHeaders;

    /// <summary>
    /// The PROXY protocol header the trusted proxy sent before <paramref name="request"/>, or null (the listener does
    /// not use the PROXY protocol, or the request is not a connection of this server). <see cref="VerifyRequest"/> may
    /// call it; a handler has it as <see cref="BaseRequestHandler.ProxyHeader"/>.
    /// </summary>
    /// <param name="request">A request of this server.</param>
    /// <returns>The header, or null.</returns>
    public ProxyHeader? GetProxyHeader(object request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _proxyHeaders is { } headers && headers.TryGetValue(request, out ProxyHeader? header) ? header : null;
    }

    /// <summary>The PROXY protocol options that apply to <paramref name="request"/> (a stream connection of a listener that has them), or null.</summary>
    internal virtual ProxyProtocolOptions? ProxyProtocolFor(object request) => null;

    /// <summary>Records the header of <paramref name="request"/>, read by this process (or by a forking parent).</summary>
    internal void AttachProxyHeader(object request, ProxyHeader header) =>
        LazyInitializer.EnsureInitialized(ref _proxyHeaders).AddOrUpdate(request, header);

    /// <summary>Closes a connection refused before it was admitted (as a cap refuses one: through <see cref="ShutdownRequest"/>).</summary>
    internal void CloseUnserved(object request) => ShutdownRequest(request);
}
