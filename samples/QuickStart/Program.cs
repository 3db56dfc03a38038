using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using SocketServer;

int port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10001;
using var server = new ThreadingTcpServer<EchoHandler>(new IPEndPoint(IPAddress.Loopback, port));

// Ctrl-C and SIGTERM stop the loop, and the program exits with 0. Shutdown() waits for ServeForever() to return,
// so it must not run on the loop's thread: the handler hands it to the thread pool.
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    ThreadPool.QueueUserWorkItem(_ => server.Shutdown());
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
// Said once the signals are handled: a script that stops the server as soon as it reads this line gets exit code 0.
Console.WriteLine($"Echo server on tcp://{server.ServerAddress}");
server.ServeForever();

// One handler per connection, each on its own thread: send every line back until the client closes.
internal sealed class EchoHandler : StreamRequestHandler
{
    protected override void Handle()
    {
        for (byte[] line = RFile.ReadLine(); line.Length > 0; line = RFile.ReadLine())
        {
            WFile.Write(line);
        }
    }
}
