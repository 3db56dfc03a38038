using System.Globalization;
using System.Net;
using SocketServer;

int port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10001;
using var server = new ThreadingTcpServer<EchoHandler>(new IPEndPoint(IPAddress.Loopback, port));
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
