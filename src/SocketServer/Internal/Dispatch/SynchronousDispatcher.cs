using System.Net;
using SocketServer.Internal;

namespace SocketServer.Internal.Dispatch;

/// <summary>Python's plain <c>BaseServer.process_request</c>: finish the request, then shut it down, in the loop's thread.</summary>
internal sealed class SynchronousDispatcher : RequestDispatcher
{
    public static readonly SynchronousDispatcher Instance = new();

    private SynchronousDispatcher()
    {
    }

    public override void ProcessRequest(BaseServer server, object request, EndPoint? clientAddress)
    {
        server.InvokeFinishRequest(request, clientAddress);
        server.InvokeShutdownRequest(request);
    }
}
