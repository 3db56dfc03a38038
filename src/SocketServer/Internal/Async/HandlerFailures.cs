using System.Net;

namespace SocketServer.Internal.Async;

/// <summary>What both async serve sessions do with a request's failure, and how both run a datagram handler.</summary>
internal static class HandlerFailures
{
    /// <summary>
    /// Reports a handler's failure with <c>HandleError</c>, unless a limit ended the connection (counted and reported
    /// then); a <see cref="ServerExitException"/> goes to <paramref name="exit"/>, which stops serving.
    /// </summary>
    /// <param name="server">The server whose hooks run.</param>
    /// <param name="request">The request that failed.</param>
    /// <param name="clientAddress">Its client.</param>
    /// <param name="exception">The failure.</param>
    /// <param name="exit">Stops the session with the exit request.</param>
    public static void Report(BaseServer server, object request, EndPoint? clientAddress, Exception exception, Action<ServerExitException> exit)
    {
        if (exception is ServerExitException exitRequest)
        {
            exit(exitRequest);
            return;
        }

        if (server.IsLimitFailure(request, exception))
        {
            return;
        }

        try
        {
            server.InvokeHandleError(request, clientAddress, exception);
        }
        catch (Exception e)
        {
            // On a loop or pool thread nothing may escape: a failing HandleError is reported as a thread exception would be.
            ErrorReport.WriteThreadException(Console.Error, clientAddress, e);
        }
    }

    /// <summary>
    /// Serves one datagram with an async datagram handler on this thread, as the synchronous dispatcher does: the
    /// handler starts here (its replies go through <paramref name="host"/>) and the request is shut down after.
    /// </summary>
    /// <param name="server">The server whose hooks run.</param>
    /// <param name="handler">The handler the dispatcher built.</param>
    /// <param name="host">Sends the handler's replies.</param>
    /// <param name="request">The datagram request.</param>
    /// <param name="clientAddress">Its sender.</param>
    public static void ServeDatagram(BaseServer server, BaseRequestHandler handler, IAsyncDatagramHost host, object request, EndPoint? clientAddress)
    {
        AmbientRequest.Prepare(handler);
        AmbientRequest.DatagramHost = host;
        try
        {
            server.InvokeFinishRequest(request, clientAddress);
        }
        finally
        {
            AmbientRequest.Prepare(null);
            AmbientRequest.DatagramHost = null;
        }

        server.InvokeShutdownRequest(request);
    }
}
