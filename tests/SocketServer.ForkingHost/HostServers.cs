using System.Net;

namespace SocketServer.ForkingHost;

internal interface IHostSettings
{
    void Configure(int requestsPerChild, int spareWorkers, int maxChildren, int maxRequestMilliseconds);

    int? ActiveCount { get; }
}

internal static class HostServers
{
    public static TcpServer Create(string kind, string address) => kind switch
    {
        "tcp" => new HostTcpServer(IPEndPoint.Parse(address)),
        "udp" => new HostUdpServer(IPEndPoint.Parse(address)),
        "unix" => new HostUnixStreamServer(address),
        "unix-dgram" => new HostUnixDatagramServer(address),
        "tcp-starttls" => new HostStartTlsServer(IPEndPoint.Parse(address)),
        "tcp-matrix" => new HostMatrixServer(IPEndPoint.Parse(address), asyncHandler: false),
        "tcp-matrix-async" => new HostMatrixServer(IPEndPoint.Parse(address), asyncHandler: true),
        _ => throw new ArgumentException($"unknown kind {kind}"),
    };

    public static void Report(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}

// Each server prints the errors its workers handle and the failures its parent sees, for the tests to read.
internal sealed class HostTcpServer(EndPoint address) : ForkingTcpServer(address, () => new HostStreamHandler()), IHostSettings
{
    public void Configure(int requestsPerChild, int spareWorkers, int maxChildren, int maxRequestMilliseconds) =>
        (RequestsPerChild, SpareWorkers, MaxChildren, MaxRequestDuration) = (requestsPerChild, spareWorkers, maxChildren, maxRequestMilliseconds > 0 ? TimeSpan.FromMilliseconds(maxRequestMilliseconds) : null);

    protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) =>
        HostServers.Report($"handled-error pid={Environment.ProcessId} {exception.Message}");

    protected override void HandleChildFailure(ChildProcessFailure failure) => HostServers.Report($"child-failure {failure}");

    public int? ActiveCount => ActiveChildren?.Count;
}

internal sealed class HostUdpServer(EndPoint address) : ForkingUdpServer(address, () => new HostDatagramHandler()), IHostSettings
{
    public void Configure(int requestsPerChild, int spareWorkers, int maxChildren, int maxRequestMilliseconds) =>
        (RequestsPerChild, SpareWorkers, MaxChildren, MaxRequestDuration) = (requestsPerChild, spareWorkers, maxChildren, maxRequestMilliseconds > 0 ? TimeSpan.FromMilliseconds(maxRequestMilliseconds) : null);

    protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) =>
        HostServers.Report($"handled-error pid={Environment.ProcessId} {exception.Message}");

    protected override void HandleChildFailure(ChildProcessFailure failure) => HostServers.Report($"child-failure {failure}");

    public int? ActiveCount => ActiveChildren?.Count;
}

internal sealed class HostUnixStreamServer(string path) : ForkingUnixStreamServer(path, () => new HostStreamHandler()), IHostSettings
{
    public void Configure(int requestsPerChild, int spareWorkers, int maxChildren, int maxRequestMilliseconds) =>
        (RequestsPerChild, SpareWorkers, MaxChildren, MaxRequestDuration) = (requestsPerChild, spareWorkers, maxChildren, maxRequestMilliseconds > 0 ? TimeSpan.FromMilliseconds(maxRequestMilliseconds) : null);

    protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) =>
        HostServers.Report($"handled-error pid={Environment.ProcessId} {exception.Message}");

    protected override void HandleChildFailure(ChildProcessFailure failure) => HostServers.Report($"child-failure {failure}");

    public int? ActiveCount => ActiveChildren?.Count;
}

internal sealed class HostUnixDatagramServer(string path) : ForkingUnixDatagramServer(path, () => new HostDatagramHandler()), IHostSettings
{
    public void Configure(int requestsPerChild, int spareWorkers, int maxChildren, int maxRequestMilliseconds) =>
        (RequestsPerChild, SpareWorkers, MaxChildren, MaxRequestDuration) = (requestsPerChild, spareWorkers, maxChildren, maxRequestMilliseconds > 0 ? TimeSpan.FromMilliseconds(maxRequestMilliseconds) : null);

    protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) =>
        HostServers.Report($"handled-error pid={Environment.ProcessId} {exception.Message}");

    protected override void HandleChildFailure(ChildProcessFailure failure) => HostServers.Report($"child-failure {failure}");

    public int? ActiveCount => ActiveChildren?.Count;
}

// STARTTLS from an async handler in a worker: plaintext until the handler upgrades, with the certificate and key
// named by FORKINGHOST_TLS_CERT and FORKINGHOST_TLS_KEY (the workers inherit the environment).
internal sealed class HostStartTlsServer : ForkingTcpServer, IHostSettings
{
    public HostStartTlsServer(EndPoint address)
        : base(address, () => new HostStartTlsHandler())
    {
        Tls = TlsOptions.FromPemFiles(
            Environment.GetEnvironmentVariable("FORKINGHOST_TLS_CERT") ?? throw new InvalidOperationException("FORKINGHOST_TLS_CERT is not set"),
            Environment.GetEnvironmentVariable("FORKINGHOST_TLS_KEY") ?? throw new InvalidOperationException("FORKINGHOST_TLS_KEY is not set"));
        TlsOnAccept = false;
    }

    public void Configure(int requestsPerChild, int spareWorkers, int maxChildren, int maxRequestMilliseconds) =>
        (RequestsPerChild, SpareWorkers, MaxChildren, MaxRequestDuration) = (requestsPerChild, spareWorkers, maxChildren, maxRequestMilliseconds > 0 ? TimeSpan.FromMilliseconds(maxRequestMilliseconds) : null);

    protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) =>
        HostServers.Report($"handled-error pid={Environment.ProcessId} {exception.Message}");

    protected override void HandleChildFailure(ChildProcessFailure failure) => HostServers.Report($"child-failure {failure}");

    public int? ActiveCount => ActiveChildren?.Count;
}
