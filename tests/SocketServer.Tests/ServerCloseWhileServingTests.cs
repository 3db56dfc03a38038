using System.Net;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

public sealed class ServerCloseWhileServingTests
{
    [Theory]
    [InlineData(null)]
    [InlineData(5.0)]
    public void ServeForeverReturnsWithoutThrowingWhenClosedFromAnotherThread(double? pollSeconds)
    {
        TimeSpan? pollInterval = pollSeconds is { } s ? TimeSpan.FromSeconds(s) : null;
        // Closing the socket wakes the loop at once; it used to see the disposed socket before the closed flag
        // and throw ObjectDisposedException out of ServeForever. Repeat, since it depends on which comes first.
        for (int i = 0; i < 20; i++)
        {
            var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), () => new BaseRequestHandler());
            using var looping = new ManualResetEventSlim();
            Exception? failure = null;
            var loop = new Thread(() =>
            {
                looping.Set();
                try
                {
                    server.ServeForever(pollInterval);
                }
                catch (Exception e)
                {
                    failure = e;
                }
            })
            { IsBackground = true };
            loop.Start();
            Assert.True(looping.Wait(TestTimeouts.Long, TestContext.Current.CancellationToken));
            server.ServerClose();
            Assert.True(loop.Join(TestTimeouts.Long), "ServeForever did not return after ServerClose");
            Assert.Null(failure);
            Assert.Equal(-1, server.Fileno());
        }
    }
}
