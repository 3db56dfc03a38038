using System.Globalization;
using System.Net;
using SocketServer;
using SocketServer.ForkingHost;

// Usage: ForkingHost <tcp|udp|unix|unix-dgram> <address> [requests-per-child] [spare-workers] [max-children] [max-request-ms]
string kind = args[0];
int Option(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;

TcpServer server = HostServers.Create(kind, args[1]);
var forking = (IHostSettings)server;
forking.Configure(Option(2, 1), Option(3, 0), Option(4, 40), Option(5, 0));

// FORKINGHOST_PROXY=1 requires a PROXY protocol header from loopback (the parent reads it, the worker sees it).
if (Environment.GetEnvironmentVariable("FORKINGHOST_PROXY") == "1")
{
    server.ProxyProtocol = new ProxyProtocolOptions { TrustedNetworks = { IPNetwork.Parse("127.0.0.0/8") }, HeaderTimeout = TimeSpan.FromSeconds(30) };
}

// FORKINGHOST_SERVE_ASYNC=1 serves with ServeAsync instead of ServeForever, in the parent and in the workers.
bool serveAsync = Environment.GetEnvironmentVariable("FORKINGHOST_SERVE_ASYNC") == "1";
if (ForkingWorker.IsWorkerProcess)
{
    // A worker: this call serves what the parent hands over, then ends the process.
    if (serveAsync)
    {
        server.ServeAsync().GetAwaiter().GetResult();
    }
    else
    {
        server.ServeForever();
    }

    return 3;
}

using var stop = new CancellationTokenSource();
Console.Out.WriteLine($"listening on {server.ServerAddress}");
Console.Out.Flush();
var stopper = new Thread(() =>
{
    // The test closes our stdin (or writes "close") to stop us; the parent then waits for its workers.
    while (Console.In.ReadLine() is { } line && line != "close")
    {
    }

    stop.Cancel();
    if (!serveAsync)
    {
        server.Shutdown();
    }
})
{ IsBackground = true };
stopper.Start();
if (serveAsync)
{
    server.ServeAsync(stop.Token).GetAwaiter().GetResult();
}
else
{
    server.ServeForever(TimeSpan.FromMilliseconds(20));
}

server.ServerClose();
Console.Out.WriteLine($"closed active={forking.ActiveCount}");
return 0;
