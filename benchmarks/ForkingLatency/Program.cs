using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using SocketServer;
using SocketServer.Benchmarks.ForkingLatency;

// Usage: ForkingLatency <port> <requests-per-child> <spare-workers>
// A worker is this program started again with the same arguments, so it builds the same server first.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: ForkingLatency <port> <requests-per-child> <spare-workers>");
    return 2;
}

int port = int.Parse(args[0], CultureInfo.InvariantCulture);
var server = new ForkingTcpServer<LineEchoHandler>(new IPEndPoint(IPAddress.Loopback, port))
{
    RequestsPerChild = int.Parse(args[1], CultureInfo.InvariantCulture),
    SpareWorkers = int.Parse(args[2], CultureInfo.InvariantCulture),
};

if (ForkingWorker.IsWorkerProcess)
{
    // A worker: this call serves what the parent hands over, then ends the process.
    server.ServeForever();
    return 3;
}

// SIGTERM or SIGINT stops the loop; the server then waits for its workers.
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    ThreadPool.QueueUserWorkItem(_ => server.Shutdown());
}

using PosixSignalRegistration onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using PosixSignalRegistration onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
Console.Out.WriteLine($"listening on {server.ServerAddress}");
Console.Out.Flush();
server.ServeForever();
server.ServerClose();
return 0;
