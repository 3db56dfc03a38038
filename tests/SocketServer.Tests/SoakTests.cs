using System.Net;
using SocketServer.Protocols;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>
/// bpo-37193's "memory leak": a long-running threading server must hold only its live threads. A bounded soak
/// here (the long one belongs in the benchmarks); it counts descriptors, so it runs alone.
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class SoakTests
{
    [Fact]
    public void ThousandsOfRequestsLeaveNoThreadsOrDescriptorsBehind()
    {
        FileDescriptors.SkipUnlessCountable();
        using var server = new ThreadingTcpServer<EchoStreamHandler>(new IPEndPoint(IPAddress.Loopback, 0));
        int before = 0;
        int mostTracked = 0;
        using (var runner = new ServerRunner(server))
        {
            byte[] message = "soak\n"u8.ToArray();
            for (int i = 0; i < 3000; i++)
            {
                Assert.Equal(message, Clients.StreamRoundTrip(server.ServerAddress, message, message.Length));
                mostTracked = Math.Max(mostTracked, server.TrackedThreadCount);
                if (i == 20)
                {
                    // Counted once the runtime has made its one-time allocations (thread-pool and socket engine).
                    before = FileDescriptors.Count();
                }
            }

            runner.Stop();
        }

        // After Stop every request thread has been joined and the server closed: nothing may be left over.
        Assert.InRange(FileDescriptors.Count() - before, int.MinValue, 0);

        // Each new request reaps the finished threads, so only the few still finishing are ever tracked.
        Assert.InRange(mostTracked, 0, 100);
        Assert.Equal(0, server.TrackedThreadCount);
    }
}
