using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Reactor;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Async;

/// <summary>
/// The reactor on its own, with no server: a connection accepted by hand and one connected by hand (the client use
/// the load generator makes of it), each driven by a loop.
/// </summary>
public sealed class ReactorTests
{
    [Fact]
    public async Task EchoesBetweenAnAcceptedAndAConnectedSocketOnTheLoops()
    {
        Assert.SkipUnless(ReactorNative.IsSupported, "the reactor runs on 64-bit Linux");
        using var group = new ReactorGroup(2);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!, TestContext.Current.CancellationToken);
        using Socket accepted = await listener.AcceptAsync(TestContext.Current.CancellationToken);
        accepted.Blocking = false;
        client.Blocking = false;

        var server = new DuplexConnection(group.Loops[0], (int)accepted.Handle);
        var clientSide = new DuplexConnection(group.Loops[1], (int)client.Handle);
        server.Start();
        clientSide.Start();
        // Started off the test's synchronization context, as a server starts its handlers on the loop thread.
        Task echo = Task.Run(() => EchoAsync(server), TestContext.Current.CancellationToken);

        const int Messages = 1000;
        for (int i = 0; i < Messages; i++)
        {
            clientSide.Output.GetSpan(4)[..4].Fill((byte)i);
            clientSide.Output.Advance(4);
            await clientSide.Output.FlushAsync(TestContext.Current.CancellationToken);
            ReadResult result;
            while (true)
            {
                result = await clientSide.Input.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TestTimeouts.Long, TestContext.Current.CancellationToken);
                if (result.Buffer.Length >= 4 || result.IsCompleted)
                {
                    break;
                }

                clientSide.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            }

            Assert.Equal(new byte[] { (byte)i, (byte)i, (byte)i, (byte)i }, result.Buffer.Slice(0, 4).ToArray());
            clientSide.Input.AdvanceTo(result.Buffer.GetPosition(4));
        }

        // Half-close from the client's side: the server's input ends, its echo loop completes its output.
        client.Shutdown(SocketShutdown.Send);
        await echo.WaitAsync(TestTimeouts.Long, TestContext.Current.CancellationToken);
        // The echo's completion queued the last flush for the end of the loop's batch: wait for it, a loop turn at a time.
        bool finished = false;
        for (int turn = 0; turn < 1000 && !finished; turn++)
        {
            await RunOnLoopAsync(group.Loops[0], () => finished = server.IsOutputFinished);
        }

        Assert.True(finished);
        await RunOnLoopAsync(group.Loops[0], server.Detach);
        accepted.Shutdown(SocketShutdown.Send);
        ReadResult end = await clientSide.Input.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TestTimeouts.Long, TestContext.Current.CancellationToken);
        Assert.True(end.IsCompleted);
        Assert.True(end.Buffer.IsEmpty);
        await RunOnLoopAsync(group.Loops[1], clientSide.Detach);
    }

    private static async Task EchoAsync(DuplexConnection connection)
    {
        while (true)
        {
            ReadResult result = await connection.Input.ReadAsync();
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                connection.Output.Write(segment.Span);
            }

            connection.Input.AdvanceTo(result.Buffer.End);
            await connection.Output.FlushAsync();
            if (result.IsCompleted)
            {
                break;
            }
        }

        await connection.Input.CompleteAsync();
        await connection.Output.CompleteAsync();
    }

    private static Task RunOnLoopAsync(EventLoop loop, Action action)
    {
        var work = new ActionWork(action);
        loop.Post(work);
        return work.Done.Task.WaitAsync(TestTimeouts.Long);
    }

    private sealed class ActionWork(Action action) : IReactorWork
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Execute()
        {
            try
            {
                action();
                Done.SetResult();
            }
            catch (Exception e)
            {
                Done.SetException(e);
            }
        }
    }
}
