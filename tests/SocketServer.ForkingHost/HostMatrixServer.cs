using System.Net;
using System.Net.Sockets;

namespace SocketServer.ForkingHost;

/// <summary>
/// The forking rows of the request-path matrix (ForkingMatrixTests): a forking TCP server whose hooks and handler
/// print what happened to each request, named by the client's port, so the test can count per request across the
/// parent and its workers. <c>ServerLimits.MaxLineLength</c> is 64; with FORKINGHOST_REFUSE_FIRST=1 the parent's
/// <c>VerifyRequest</c> refuses the first request.
/// </summary>
internal sealed class HostMatrixServer : ForkingTcpServer, IHostSettings
{
    private readonly bool _refuseFirst = Environment.GetEnvironmentVariable("FORKINGHOST_REFUSE_FIRST") == "1";
    private int _verified;

    public HostMatrixServer(EndPoint address, bool asyncHandler)
        : base(address, asyncHandler ? static () => new HostMatrixAsyncHandler() : static () => new HostMatrixHandler())
    {
        // A worker builds this same server, so the cap is set where the handler reads too.
        Limits.MaxLineLength = 64;
    }

    public int? ActiveCount => ActiveChildren?.Count;

    public void Configure(int requestsPerChild, int spareWorkers, int maxChildren, int maxRequestMilliseconds) =>
        (RequestsPerChild, SpareWorkers, MaxChildren, MaxRequestDuration) = (requestsPerChild, spareWorkers, maxChildren, maxRequestMilliseconds > 0 ? TimeSpan.FromMilliseconds(maxRequestMilliseconds) : null);

    /// <summary>The client's port, as the test knows it (its socket's local port).</summary>
    public static string Client(EndPoint? clientAddress) => clientAddress is IPEndPoint ip ? ip.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?";

    protected override bool VerifyRequest(object request, EndPoint? clientAddress)
    {
        if (_refuseFirst && Interlocked.Increment(ref _verified) == 1)
        {
            HostServers.Report($"verify-refused pid={Environment.ProcessId} client={Client(clientAddress)}");
            return false;
        }

        return true;
    }

    protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) =>
        HostServers.Report($"handled-error pid={Environment.ProcessId} client={Client(clientAddress)} {exception.Message}");

    protected override void ShutdownRequest(object request)
    {
        // Before the close: a client that read the end of its stream knows the line was printed.
        HostServers.Report($"shutdown-request pid={Environment.ProcessId} client={Client(Peer(request))}");
        base.ShutdownRequest(request);
    }

    protected override void HandleChildFailure(ChildProcessFailure failure) => HostServers.Report($"child-failure {failure}");

    private static EndPoint? Peer(object request)
    {
        try
        {
            return (request as Socket)?.RemoteEndPoint;
        }
        catch (SocketException)
        {
            // A client that reset is no longer connected; the test never resets.
            return null;
        }
    }
}
