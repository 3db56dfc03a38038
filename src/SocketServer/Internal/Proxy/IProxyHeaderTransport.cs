namespace SocketServer.Internal.Proxy;

/// <summary>
/// A transport that reads PROXY headers without blocking (the async sessions): it drives a
/// <see cref="ProxyHeaderRead"/> under its deadline, then hands it back to
/// <see cref="Requests.RequestPipeline.ProxyHeaderReceived"/>, which refuses the connection or goes on with the request.
/// </summary>
internal interface IProxyHeaderTransport
{
    /// <summary>Starts reading the header of <paramref name="read"/>'s connection; returns at once.</summary>
    void ReceiveProxyHeader(ProxyHeaderRead read);
}
