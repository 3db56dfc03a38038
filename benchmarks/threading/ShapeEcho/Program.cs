using System.Net;
using System.Net.Sockets;
using SocketServer;

// ShapeEcho raw|files: a ThreadingTcpServer (daemon threads) on 127.0.0.1, echoing each connection with the raw request
// socket (Python's request.recv(65536) + sendall) or with RFile/WFile (rfile.read1(65536) + wfile.write).
bool raw = args.Length > 0 && args[0] == "raw";
using var server = new ThreadingTcpServer(new IPEndPoint(IPAddress.Loopback, 0), raw ? () => new RawEcho() : () => new FilesEcho())
{
    DaemonThreads = true,
};
Console.WriteLine($"listening on tcp://127.0.0.1:{((IPEndPoint)server.ServerAddress).Port}");
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    ThreadPool.QueueUserWorkItem(_ => server.Shutdown());
};
server.ServeForever();

internal sealed class RawEcho : BaseRequestHandler
{
    protected override void Handle()
    {
        var socket = (Socket)Request;
        byte[] buffer = new byte[65536];
        try
        {
            int read;
            while ((read = socket.Receive(buffer)) > 0)
            {
                for (int sent = 0; sent < read;)
                {
                    sent += socket.Send(buffer, sent, read - sent, SocketFlags.None);
                }
            }
        }
        catch (SocketException)
        {
        }
    }
}

internal sealed class FilesEcho : StreamRequestHandler
{
    protected override void Handle()
    {
        byte[] buffer = new byte[65536];
        try
        {
            int read;
            while ((read = RFile.Read(buffer)) > 0)
            {
                WFile.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
        }
    }
}
