using System.Net;
using System.Net.Sockets;
using SocketServer.Protocols;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>
/// Bad peers and failed binds: the bad client costs only its own request, everyone else is served, and
/// descriptors come back. These count descriptors, so they run alone.
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class FaultTests
{
    private static readonly IPEndPoint s_loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public void AFailedBindClosesTheSocketEveryTime()
    {
        // CPython's test_tcpserver_bind_leak (bpo-22435): 1024 failed constructions must not leak descriptors.
        FileDescriptors.SkipUnlessCountable();
        using var holder = new TcpServer<EchoStreamHandler>(s_loopback);
        Assert.Throws<ServerBindException>(() => new TcpServer<EchoStreamHandler>(holder.ServerAddress));
        int before = FileDescriptors.Count();
        for (int i = 0; i < 1024; i++)
        {
            Assert.Throws<ServerBindException>(() => new TcpServer<EchoStreamHandler>(holder.ServerAddress));
        }

        Assert.InRange(FileDescriptors.Count() - before, int.MinValue, 4);
    }

    [Fact]
    public void TheEchoHandlerTakesAResetAsTheEndOfTheConversation()
    {
        // A reset while the echo handler waits for more is how a load generator stops: no error report for it.
        var log = new HookLog();
        using var server = new RecordingTcpServer(log, () => new EchoStreamHandler());
        using (var runner = new ServerRunner(server))
        {
            using (Socket client = Clients.ConnectStream(server.ServerAddress))
            {
                client.Send("ping"u8);
                byte[] echo = new byte[4];
                Assert.Equal(4, client.Receive(echo));
                client.LingerState = new LingerOption(true, 0);
            }

            log.WaitForShutdownRequests(1);
            Assert.Equal("pong"u8.ToArray(), Clients.StreamRoundTrip(server.ServerAddress, "pong"u8.ToArray(), 4));
            runner.Stop();
        }

        Assert.Empty(log.Errors);
    }

    [Fact]
    public void AClientThatResetsMidLineCostsOnlyItsOwnRequest()
    {
        FileDescriptors.SkipUnlessCountable();
        var log = new HookLog();
        using var server = new RecordingTcpServer(log, () => new LineEchoStreamHandler());
        int before = FileDescriptors.Count();
        using (var runner = new ServerRunner(server))
        {
            using (Socket bad = Clients.ConnectStream(server.ServerAddress))
            {
                bad.Send("half a li"u8);
                bad.LingerState = new LingerOption(true, 0);
            }

            log.WaitForShutdownRequests(1);
            Assert.Equal("whole line\n"u8.ToArray(), Clients.StreamRoundTrip(server.ServerAddress, "whole line\n"u8.ToArray(), 11));
            runner.Stop();
        }

        // A reset surfaces as an IOException from the read, like Python's ConnectionResetError into handle_error.
        var error = Assert.IsType<IOException>(Assert.Single(log.Errors));
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);

        Assert.InRange(FileDescriptors.Count() - before, int.MinValue, 0);
    }

    [Fact]
    public void FinishIgnoresAClientThatAlreadyWentAway()
    {
        var log = new HookLog();
        using var clientGone = new ManualResetEventSlim();
        var peerWasGone = new TaskCompletionSource<bool>();
        using var server = new RecordingTcpServer(log, () => new LateWriterHandler(clientGone, peerWasGone));
        var serve = Task.Run(server.HandleRequest);
        using (Socket client = Clients.ConnectStream(server.ServerAddress))
        {
            client.LingerState = new LingerOption(true, 0);
        }

        clientGone.Set();
        Assert.True(serve.Wait(TestTimeouts.Long));
        Assert.True(peerWasGone.Task.Result, "the test needs the reset to have reached the server before Finish");
        Assert.Empty(log.Errors);
        Assert.Equal(1, log.Count("ShutdownRequest"));
    }

    [Fact]
    public void AThreadingServerSurvivesAStormOfResetsAndServesEveryoneElse()
    {
        FileDescriptors.SkipUnlessCountable();
        var log = new HookLog();
        using var server = new RecordingThreadingTcpServer(log, () => new LineEchoStreamHandler());
        int before = FileDescriptors.Count();
        using (var runner = new ServerRunner(server))
        {
            var tasks = Enumerable.Range(0, 60).Select(i => Task.Run(() =>
            {
                if (i % 6 == 0)
                {
                    byte[] line = "good client\n"u8.ToArray();
                    Assert.Equal(line, Clients.StreamRoundTrip(server.ServerAddress, line, line.Length));
                    return;
                }

                using Socket bad = Clients.ConnectStream(server.ServerAddress);
                if (i % 2 == 0)
                {
                    bad.Send("garbage without newline"u8);
                }

                bad.LingerState = new LingerOption(true, 0);
            })).ToArray();
            Assert.True(Task.WaitAll(tasks, TestTimeouts.Long));
            log.WaitForShutdownRequests(60);
            runner.Stop();
        }

        Assert.All(log.Errors, e => Assert.IsType<IOException>(e));
        Assert.Equal(0, server.TrackedThreadCount);
        Assert.InRange(FileDescriptors.Count() - before, int.MinValue, 0);
    }

    /// <summary>Buffers its reply, waits until the client has reset, then lets Finish flush into the dead connection.</summary>
    private sealed class LateWriterHandler(ManualResetEventSlim clientGone, TaskCompletionSource<bool> peerWasGone) : StreamRequestHandler
    {
        public override int WBufSize => 4096;

        protected override void Handle()
        {
            Assert.True(clientGone.Wait(TestTimeouts.Long));
            // Readable with nothing to read: the peer's reset (or close) has arrived.
            peerWasGone.SetResult(Connection.Poll(TestTimeouts.Long, SelectMode.SelectRead) && Connection.Available == 0);
            WFile.Write("too late\n"u8);
        }
    }
}
