using System.Net;
using System.Net.Sockets;
using System.Text;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>SPEC §1.10 and CPython's SocketWriterTest: RFile, WFile, timeouts and Nagle.</summary>
public sealed class StreamRequestHandlerTests
{
    private static readonly IPEndPoint s_loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public void WFileIsAnUnbufferedStreamOnTheRequestsDescriptor()
    {
        var seen = new TaskCompletionSource<(Stream WFile, int WFileNo, int RequestNo)>();
        using var server = new TcpServer(s_loopback, () => new DelegateHandler(h => seen.SetResult((h.WFile, ((SocketWriter)h.WFile).Fileno(), (int)h.Connection.Handle))));
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        var (wfile, wfileNo, requestNo) = seen.Task.Result;
        Assert.IsType<SocketWriter>(wfile);
        Assert.Equal(requestNo, wfileNo);
    }

    [Fact]
    public void AWriteIsSentImmediatelyWithoutFlush()
    {
        using var clientRead = new ManualResetEventSlim();
        var written = new TaskCompletionSource();
        using var server = new TcpServer(s_loopback, () => new DelegateHandler(h =>
        {
            h.WFile.Write("first\n"u8);
            // The client can read the line only if it was sent without a flush.
            Assert.True(clientRead.Wait(TestTimeouts.Long));
            h.WFile.Write("second\n"u8);
        }));
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        var serve = Task.Run(server.HandleRequest);
        Assert.Equal("first\n"u8.ToArray(), Clients.ReceiveAtLeast(client, 6));
        clientRead.Set();
        Assert.Equal("second\n"u8.ToArray(), Clients.ReceiveToEnd(client));
        Assert.True(serve.Wait(TestTimeouts.Long));
    }

    [Fact]
    public void AHugeWriteSendsEveryByte()
    {
        byte[] payload = new byte[16 * 1024 * 1024];
        new Random(7).NextBytes(payload);
        using var server = new ThreadingTcpServer(s_loopback, () => new DelegateHandler(h => h.WFile.Write(payload)));
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.Equal(payload, Clients.ReceiveToEnd(client));
    }

    [Fact]
    public void ClosingRFileAndWFileLeavesTheConnectionOpen()
    {
        using var server = new TcpServer(s_loopback, () => new DelegateHandler(h =>
        {
            h.RFile.Dispose();
            h.WFile.Dispose();
            h.Connection.Send("still open\n"u8);
        }));
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.Equal("still open\n"u8.ToArray(), Clients.ReceiveToEnd(client));
    }

    [Fact]
    public void ABufferedWFileIsFlushedByFinish()
    {
        using var server = new TcpServer(s_loopback, () => new DelegateHandler(h => h.WFile.Write("buffered\n"u8)) { WBufSize = 4096 });
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.Equal("buffered\n"u8.ToArray(), Clients.ReceiveToEnd(client));
    }

    [Fact]
    public void ATimeoutMakesABlockedReadFailIntoHandleError()
    {
        var log = new HookLog();
        using var server = new RecordingTcpServer(log, () => new DelegateHandler(h => h.RFile.ReadLine()) { Timeout = TimeSpan.FromMilliseconds(50) });
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        var error = Assert.IsType<IOException>(Assert.Single(log.Errors));
        Assert.Equal(SocketError.TimedOut, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);
    }

    [Fact]
    public void DisableNagleAlgorithmSetsNoDelay()
    {
        var seen = new TaskCompletionSource<bool>();
        using var server = new TcpServer(s_loopback, () => new DelegateHandler(h => seen.SetResult(h.Connection.NoDelay)) { DisableNagleAlgorithm = true });
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        server.HandleRequest();
        Assert.True(seen.Task.Result);
    }

    [Fact]
    public void DefaultsMatchPython()
    {
        var handler = new StreamRequestHandler();
        Assert.Equal(-1, handler.RBufSize);
        Assert.Equal(0, handler.WBufSize);
        Assert.Null(handler.Timeout);
        Assert.False(handler.DisableNagleAlgorithm);
    }

    [Fact]
    public void ReadLineReturnsLinesThenTheRestThenEmpty()
    {
        var lines = new TaskCompletionSource<List<string>>();
        using var server = new TcpServer(s_loopback, () => new DelegateHandler(h =>
        {
            var got = new List<string>();
            byte[] line;
            while ((line = h.RFile.ReadLine()).Length > 0)
            {
                got.Add(Encoding.ASCII.GetString(line));
            }

            lines.SetResult(got);
        }));
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        client.Send("one\ntwo\r\nthree"u8);
        client.Shutdown(SocketShutdown.Send);
        server.HandleRequest();
        Assert.Equal(["one\n", "two\r\n", "three"], lines.Task.Result);
    }

    [Fact]
    public void ReadLineHonoursItsLimit()
    {
        var parts = new TaskCompletionSource<string[]>();
        using var server = new TcpServer(s_loopback, () => new DelegateHandler(h =>
            parts.SetResult([Encoding.ASCII.GetString(h.RFile.ReadLine(4)), Encoding.ASCII.GetString(h.RFile.ReadLine())])));
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        client.Send("abcdefgh\n"u8);
        server.HandleRequest();
        Assert.Equal(["abcd", "efgh\n"], parts.Task.Result);
    }

    [Fact]
    public void AnUnbufferedRFileNeverReadsAheadOfTheLine()
    {
        // With RBufSize 0 the bytes after the line stay in the socket, for whoever takes the connection next.
        var rest = new TaskCompletionSource<(string Line, string Remainder)>();
        using var server = new TcpServer(s_loopback, () => new DelegateHandler(h =>
        {
            string line = Encoding.ASCII.GetString(h.RFile.ReadLine());
            byte[] buffer = new byte[16];
            int n = h.Connection.Receive(buffer);
            rest.SetResult((line, Encoding.ASCII.GetString(buffer, 0, n)));
        })
        { RBufSize = 0 });
        using Socket client = Clients.ConnectStream(server.ServerAddress);
        client.Send("STARTTLS\nhello"u8);
        server.HandleRequest();
        Assert.Equal(("STARTTLS\n", "hello"), rest.Task.Result);
    }

    [Fact]
    public void AStreamHandlerOnADatagramServerFailsClearly()
    {
        var log = new HookLog();
        using var server = new RecordingUdpServer(log, () => new StreamRequestHandler());
        using Socket client = Clients.CreateDatagram(server.ServerAddress);
        client.SendTo("x"u8.ToArray(), server.ServerAddress);
        server.HandleRequest();
        Assert.Contains("use DatagramRequestHandler", Assert.Single(log.Errors).Message, StringComparison.Ordinal);
    }

    /// <summary>A stream handler whose Handle runs a delegate, for tests.</summary>
    internal sealed class DelegateHandler(Action<StreamRequestHandler> handle) : StreamRequestHandler
    {
        protected override void Handle() => handle(this);
    }

    private sealed class RecordingUdpServer(HookLog log, Func<BaseRequestHandler> factory) : UdpServer(s_loopback, factory)
    {
        protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) => log.AddError(exception);
    }
}
