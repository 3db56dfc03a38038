using System.Text;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>
/// CPython's SocketServerTest: every server class serves three echo round trips from a ServeForever thread, then
/// shuts down, and its descriptor reads -1 after close.
/// </summary>
public sealed class EchoMatrixTests : IDisposable
{
    private static readonly byte[] s_message = Encoding.ASCII.GetBytes("hello world\n");
    private readonly TempDirectory _directory = new();

    public static TheoryData<ServerKind> Kinds => ServerKinds.All;

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ServesThreeRoundTripsThenShutsDown(ServerKind kind)
    {
        Func<BaseRequestHandler> factory = kind.IsDatagram()
            ? () => new LineEchoDatagramHandler()
            : () => new LineEchoStreamHandler();
        using TcpServer server = ServerKinds.Create(kind, factory, _directory);
        Assert.Equal(server.Socket.LocalEndPoint, server.ServerAddress);
        Assert.Equal(kind.IsThreading(), server is ThreadingTcpServer or ThreadingUdpServer or ThreadingUnixStreamServer or ThreadingUnixDatagramServer);

        using (var runner = new ServerRunner(server))
        {
            for (int i = 0; i < 3; i++)
            {
                byte[] reply = kind.IsDatagram()
                    ? Clients.DatagramRoundTrip(server.ServerAddress, s_message, _directory)
                    : Clients.StreamRoundTrip(server.ServerAddress, s_message, s_message.Length);
                Assert.Equal(s_message, reply);
            }

            runner.Stop();
        }

        Assert.Equal(-1, server.Fileno());
        Assert.True(server.IsClosed);
    }

    public void Dispose() => _directory.Dispose();
}
