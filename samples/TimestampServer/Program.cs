// The seed tutorial's first example: a TCP server that answers each line with "[<ctime>] <line>".
// Usage: TimestampServer [port]   (default 10001; 0 picks a free port)
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using SocketServer;
using SocketServer.Protocols;

int port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10001;

// Python's ("", 10001): every local address.
using var server = new TcpServer<MyRequestHandler>(new IPEndPoint(IPAddress.Any, port));
Console.WriteLine("Waiting for connection...");
Console.WriteLine($"listening on tcp://{server.ServerAddress}");

// Ctrl-C and SIGTERM stop the loop. Shutdown() waits for ServeForever() to return, so it must run on another
// thread than the loop; the signal handler hands it to the thread pool and returns.
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    ThreadPool.QueueUserWorkItem(_ => server.Shutdown());
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

server.ServeForever();
// Leaving the using scope calls ServerClose(), which closes the listening socket.

internal sealed class MyRequestHandler : StreamRequestHandler
{
    protected override void Handle()
    {
        Console.WriteLine($"Connected from {ClientAddress}");
        byte[] line = RFile.ReadLine();
        // One write, so the reply leaves in one piece: "[<ctime>] " then the line as received, "\r\n" included.
        byte[] reply = [.. Encoding.ASCII.GetBytes($"[{CTime.Now()}] "), .. line];
        WFile.Write(reply);
    }
}
