using System.Net;
using System.Net.Sockets;

namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>A library server running <c>ServeForever</c> on a thread of the test process, for bench to load.</summary>
internal sealed class InProcessServer : IDisposable
{
    private readonly BaseServer _server;
    private readonly Thread _loop;

    private InProcessServer(BaseServer server, string target)
    {
        _server = server;
        Target = target;
        _loop = new Thread(() => server.ServeForever()) { IsBackground = true, Name = "test server" };
        _loop.Start();
    }

    /// <summary>The server's address as a bench <c>--target</c>.</summary>
    public string Target { get; }

    public static InProcessServer Tcp<THandler>()
        where THandler : BaseRequestHandler, new()
    {
        var server = new ThreadingTcpServer<THandler>(new IPEndPoint(IPAddress.Loopback, 0)) { DaemonThreads = true };
        return new InProcessServer(server, $"tcp://127.0.0.1:{((IPEndPoint)server.ServerAddress).Port}");
    }

    public static InProcessServer Udp<THandler>()
        where THandler : BaseRequestHandler, new()
    {
        var server = new ThreadingUdpServer<THandler>(new IPEndPoint(IPAddress.Loopback, 0)) { DaemonThreads = true };
        return new InProcessServer(server, $"udp://127.0.0.1:{((IPEndPoint)server.ServerAddress).Port}");
    }

    public static InProcessServer Unix<THandler>(string path)
        where THandler : BaseRequestHandler, new()
    {
        var server = new ThreadingUnixStreamServer<THandler>(new UnixDomainSocketEndPoint(path)) { DaemonThreads = true };
        return new InProcessServer(server, $"unix:{path}");
    }

    /// <summary>A server on a Linux abstract Unix socket; its target is <c>unix:@NAME</c>.</summary>
    public static InProcessServer UnixAbstract<THandler>(string name)
        where THandler : BaseRequestHandler, new()
    {
        var server = new ThreadingUnixStreamServer<THandler>(new UnixDomainSocketEndPoint("\0" + name)) { DaemonThreads = true };
        return new InProcessServer(server, $"unix:@{name}");
    }

    /// <summary>A TCP server on <c>[::1]</c>.</summary>
    public static InProcessServer Tcp6<THandler>()
        where THandler : BaseRequestHandler, new()
    {
        var server = new ThreadingTcpServer<THandler>(new IPEndPoint(IPAddress.IPv6Loopback, 0)) { DaemonThreads = true };
        return new InProcessServer(server, $"tcp://[::1]:{((IPEndPoint)server.ServerAddress).Port}");
    }

    public void Dispose()
    {
        Task stopped = Task.Run(_server.Shutdown);
        Assert.True(stopped.Wait(TestTimeouts.Long), "The test server did not stop.");
        _server.ServerClose();
        Assert.True(_loop.Join(TestTimeouts.Long), "The test server's loop did not return.");
    }
}
