using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Reactor;
using SocketServer.Protocols;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Async;

/// <summary>The built-in async echo handler under ServeAsync takes a client's reset as the end of the conversation.</summary>
public sealed class AsyncEchoResetTests
{
    [Fact]
    public async Task AResetWhileTheEchoHandlerWaitsIsNotReportedAsAnError()
    {
        Assert.SkipUnless(ReactorNative.IsSupported, "ServeAsync's reactor runs on 64-bit Linux");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TestTimeouts.Long);
        CancellationToken token = timeout.Token;
        using var server = new ErrorCountingServer(new IPEndPoint(IPAddress.Loopback, 0));
        Task serving = server.ServeAsync(token);
        using (Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, token))
        {
            await client.SendAsync("ping"u8.ToArray(), token);
            Assert.Equal("ping"u8.ToArray(), await AsyncClients.ReceiveExactlyAsync(client, 4, token));
            client.LingerState = new LingerOption(true, 0);
        }

        Assert.True(await server.RequestEnded.WaitAsync(TestTimeouts.Long, token));
        using (Socket next = await AsyncClients.ConnectAsync(server.ServerAddress, token))
        {
            await next.SendAsync("pong"u8.ToArray(), token);
            Assert.Equal("pong"u8.ToArray(), await AsyncClients.ReceiveExactlyAsync(next, 4, token));
        }

        server.Shutdown();
        await serving.WaitAsync(token);
        Assert.Empty(server.Errors);
    }

    private sealed class ErrorCountingServer(EndPoint address) : TcpServer(address, static () => new AsyncEchoStreamHandler())
    {
        public ConcurrentQueue<Exception> Errors { get; } = new();

        public SemaphoreSlim RequestEnded { get; } = new(0);

        protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) => Errors.Enqueue(exception);

        protected override void ShutdownRequest(object request)
        {
            base.ShutdownRequest(request);
            RequestEnded.Release();
        }
    }
}
