using System.Net;
using System.Text;
using SocketServer.Protocols;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void TcpEchoRoundTrips()
    {
        using var server = new TcpServer<EchoStreamHandler>(new IPEndPoint(IPAddress.Loopback, 0));
        using var runner = new ServerRunner(server);
        byte[] message = Encoding.ASCII.GetBytes("hello world\n");
        for (int i = 0; i < 3; i++)
        {
            using var socket = Clients.ConnectStream(server.ServerAddress);
            socket.Send(message);
            socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            Assert.Equal(message, Clients.ReceiveToEnd(socket));
        }

        runner.Stop();
        Assert.Equal(-1, server.Fileno());
    }
}
