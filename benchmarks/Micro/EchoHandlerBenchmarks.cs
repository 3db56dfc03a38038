using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using SocketServer.Protocols;

namespace SocketServer.Micro;

/// <summary>
/// The echo handler's per-message path: a client sends a message and reads the echo while
/// <see cref="EchoStreamHandler"/> serves the other end on a thread of its own, as the threading server runs it.
/// The time includes two loopback round trips through the kernel; the allocations (MemoryDiagnoser counts every
/// thread's) show whether the handler allocates per message.
/// </summary>
[MemoryDiagnoser]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet calls [GlobalCleanup], which disposes them.")]
public class EchoHandlerBenchmarks
{
    private LoopbackPair _pair = null!;
    private TcpServer _server = null!;
    private Thread _handlerThread = null!;
    private byte[] _message = [];
    private byte[] _echo = [];

    /// <summary>The message size in bytes.</summary>
    [Params(32, 4096)]
    public int Size { get; set; }

    /// <summary>Connects the pair and starts the handler on the accepted side.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _pair = LoopbackPair.Connect();
        _message = new byte[Size];
        _echo = new byte[Size];
        new Random(1).NextBytes(_message);
        _server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new EchoStreamHandler(), bindAndActivate: false);
        Socket accepted = _pair.Server;
        EndPoint? client = _pair.Client.LocalEndPoint;
        _handlerThread = new Thread(() => new EchoStreamHandler().Serve(accepted, client, _server))
        {
            IsBackground = true,
            Name = "echo handler",
        };
        _handlerThread.Start();
    }

    /// <summary>Closes the client side, which ends the handler, then the rest.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _pair.Client.Shutdown(SocketShutdown.Send);
        _handlerThread.Join(TimeSpan.FromSeconds(10));
        _pair.Dispose();
        _server.ServerClose();
    }

    /// <summary>One message there and back.</summary>
    /// <returns>The echo's first byte, so nothing is optimised away.</returns>
    [Benchmark]
    public byte RoundTrip()
    {
        _pair.Client.Send(_message);
        LoopbackPair.ReceiveExactly(_pair.Client, _echo);
        return _echo[0];
    }
}
