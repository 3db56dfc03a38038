using System.Net;

namespace SocketServer.Internal.Async;

/// <summary>What an <see cref="AsyncDatagramRequestHandler"/> that completes after returning reports its failure and its end to.</summary>
internal interface IAsyncDatagramHost
{
    /// <summary>The handler failed after <c>FinishRequest</c> returned; reported with <c>HandleError</c>.</summary>
    void HandlerFailed(object request, EndPoint? clientAddress, Exception exception);

    /// <summary>The handler completed after <c>FinishRequest</c> returned: the request is ended (<c>ShutdownRequest</c>) now.</summary>
    void HandlerEnded(object request, EndPoint? clientAddress);
}
