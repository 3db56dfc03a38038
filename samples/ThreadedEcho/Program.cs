// The seed tutorial's second example: a threading TCP server, where each request runs on a thread of its own
// and the reply names that thread.
using System.Net;
using System.Net.Sockets;
using System.Text;
using SocketServer;

// Port 0 means the system picks a free port; ServerAddress then holds the real one.
using var server = new ThreadingTcpServer<ThreadedTcpRequestHandler>(new IPEndPoint(IPAddress.Loopback, 0));
EndPoint address = server.ServerAddress;

// Run the loop on a background thread: it handles requests until Shutdown(), each on one more thread.
var serverThread = new Thread(() => server.ServeForever()) { IsBackground = true, Name = "ServeForever" };
serverThread.Start();
Console.WriteLine($"Server loop running in thread: {serverThread.Name}");

Client(address, "Hello World 1");
Client(address, "Hello World 2");
Client(address, "Hello World 3");

server.Shutdown();
// Leaving the using scope calls ServerClose(), which also waits for the request threads.

static void Client(EndPoint address, string message)
{
    using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
    socket.Connect(address);
    socket.Send(Encoding.UTF8.GetBytes(message));
    // The server closes the connection after replying, so read until the end.
    using var reader = new StreamReader(new NetworkStream(socket), Encoding.UTF8);
    Console.WriteLine($"Received: {reader.ReadToEnd()}");
}

internal sealed class ThreadedTcpRequestHandler : BaseRequestHandler
{
    protected override void Handle()
    {
        var socket = (Socket)Request;
        byte[] buffer = new byte[1024];
        int received = socket.Receive(buffer);
        string data = Encoding.UTF8.GetString(buffer, 0, received);
        string response = $"{Thread.CurrentThread.Name}: {data}";
        // A blocking Send without a timeout returns only once every byte is sent, like Python's sendall().
        socket.Send(Encoding.UTF8.GetBytes(response));
    }
}
