using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SocketServer.Internal.IoUring;
using SocketServer.Internal.Reactor;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Async;

/// <summary>
/// The reactor's duplex connection against the <see cref="PipeReader"/>/<see cref="PipeWriter"/> contract, over a
/// real loopback socket: a plain client socket on one side, a <see cref="DuplexConnection"/> on a loop on the other
/// (epoll's and io_uring's: the same contract over both transports),
/// its "handler" run on the loop's thread (as the server runs handlers) or on the thread pool (a handler that went off
/// the loop).
/// </summary>
public sealed class DuplexConnectionTests
{
    /// <summary>The two loops the connection runs on: epoll's and io_uring's.</summary>
    public static TheoryData<string> Transports => ["epoll", "io_uring"];

    /// <summary>Each transport, with the handler on the loop's thread and off it.</summary>
    public static TheoryData<string, bool> TransportsAndThreads => new()
    {
        { "epoll", true },
        { "epoll", false },
        { "io_uring", true },
        { "io_uring", false },
    };

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task PartialConsumeKeepsTheRestAndExaminedWaitsForMore(string transport)
    {
        await using Pair pair = await Pair.OpenAsync(transport);
        await pair.Client.SendAsync("hello world"u8.ToArray(), Token);
        string[] seen = await pair.OnLoopAsync<string[]>(async () =>
        {
            PipeReader input = pair.Server.Input;
            ReadResult first = await ReadAtLeastAsync(input, 11);
            string all = Text(first.Buffer);
            // Consume "hello", examine everything: the next read waits for bytes that were not there.
            input.AdvanceTo(first.Buffer.GetPosition(5), first.Buffer.End);
            ValueTask<ReadResult> next = input.ReadAsync();
            bool waited = !next.IsCompleted;
            await pair.Client.SendAsync("!"u8.ToArray(), Token);
            ReadResult second = await next;
            string rest = Text(second.Buffer);
            // Consume one byte and examine nothing more: the next read returns at once, with what is left.
            input.AdvanceTo(second.Buffer.GetPosition(1));
            ValueTask<ReadResult> third = input.ReadAsync();
            bool immediate = third.IsCompleted;
            ReadResult last = await third;
            string left = Text(last.Buffer);
            input.AdvanceTo(last.Buffer.End);
            return [all, waited.ToString(), rest, immediate.ToString(), left];
        });

        Assert.Equal(["hello world", "True", " world!", "True", "world!"], seen);
        Assert.True(await pair.OnLoopAsync(() => Task.FromResult(pair.Server.HoldsNoInputBlock)));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task TryReadSeesWhatArrivedAndAnIdleConnectionHoldsNoBlock(string transport)
    {
        await using Pair pair = await Pair.OpenAsync(transport);
        Task echo = pair.OnLoopAsync(() => EchoAsync(pair.Server));
        byte[] message = new byte[1000];
        Random.Shared.NextBytes(message);
        for (int i = 0; i < 50; i++)
        {
            await pair.Client.SendAsync(message, Token);
            Assert.Equal(message, await AsyncClients.ReceiveExactlyAsync(pair.Client, message.Length, Token));
            // The echo was sent after the handler consumed, flushed and waited again: nothing is held.
            Assert.True(await pair.OnLoopAsync(() => Task.FromResult(pair.Server.HoldsNoInputBlock && pair.Server.HoldsNoOutputBlock)));
        }

        pair.Client.Shutdown(SocketShutdown.Send);
        await echo.WaitAsync(TestTimeouts.Long, Token);
        // At the end of the stream a read does not wait: TryRead returns the (empty) end.
        ReadResult end = await pair.OnLoopAsync(() =>
        {
            Assert.True(pair.Server.Input.TryRead(out ReadResult result));
            return Task.FromResult(result);
        });
        Assert.True(end.IsCompleted);
        Assert.True(end.Buffer.IsEmpty);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task MessagesOfEverySizeArriveWholeWhateverTheReadBefore(string transport)
    {
        // Epoll sizes each read by the one before: one block (a plain recv) after a small message, every block it may
        // take after a read that filled all it asked for. Around each threshold, after small and after large messages.
        int block = DuplexSegment.BlockSize;
        int[] sizes = [1, 32, block / 2, block / 2 + 1, block - 1, block, block + 1, 10, 16 * block, 16 * block + 1, 3, 70_000, block / 2, 2 * block, 1];
        await using Pair pair = await Pair.OpenAsync(transport);
        Task echo = pair.OnLoopAsync(() => EchoAsync(pair.Server));
        foreach (int size in sizes)
        {
            byte[] message = new byte[size];
            Random.Shared.NextBytes(message);
            await pair.Client.SendAsync(message, Token);
            Assert.Equal(message, await AsyncClients.ReceiveExactlyAsync(pair.Client, size, Token));
        }

        pair.Client.Shutdown(SocketShutdown.Send);
        await echo.WaitAsync(TestTimeouts.Long, Token);
        Assert.True(await pair.OnLoopAsync(() => Task.FromResult(pair.Server.HoldsNoInputBlock && pair.Server.HoldsNoOutputBlock)));
    }

    [Theory]
    [MemberData(nameof(TransportsAndThreads))]
    public async Task LargeWritesSpanBlocksAndArriveWhole(string transport, bool onLoop)
    {
        await using Pair pair = await Pair.OpenAsync(transport);
        byte[] payload = new byte[300_000];
        Random.Shared.NextBytes(payload);
        Task writing = pair.Run(onLoop, async () =>
        {
            PipeWriter output = pair.Server.Output;
            int offset = 0;
            int step = 1;
            while (offset < payload.Length)
            {
                // Odd sizes, and hints past one block: writes straddle block ends.
                int hint = step % 7 == 0 ? 10_000 : 0;
                Memory<byte> memory = output.GetMemory(hint);
                Assert.True(memory.Length >= Math.Max(hint, 1));
                int length = Math.Min(Math.Min(memory.Length, (step * 977) % 5000 + 1), payload.Length - offset);
                payload.AsMemory(offset, length).CopyTo(memory);
                output.Advance(length);
                offset += length;
                step++;
                if (step % 13 == 0)
                {
                    await output.FlushAsync();
                }
            }

            await output.FlushAsync();
        });

        byte[] received = await AsyncClients.ReceiveExactlyAsync(pair.Client, payload.Length, Token);
        await writing.WaitAsync(TestTimeouts.Long, Token);
        Assert.Equal(payload, received);
    }

    [Theory]
    [MemberData(nameof(TransportsAndThreads))]
    public async Task FlushWaitsWhileThePeerDoesNotReadAndGoesOnWhenItDoes(string transport, bool onLoop)
    {
        await using Pair pair = await Pair.OpenAsync(transport);
        pair.Client.ReceiveBufferSize = 16 * 1024;
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        byte[] chunk = new byte[16 * 1024];
        long written = 0;
        Task writing = pair.Run(onLoop, async () =>
        {
            // Bounded: the socket's buffers are a few MiB at most; a flush must wait well before 1 GiB.
            for (int i = 0; i < 65536; i++)
            {
                pair.Server.Output.Write(chunk);
                written += chunk.Length;
                ValueTask<FlushResult> flush = pair.Server.Output.FlushAsync();
                if (!flush.IsCompleted)
                {
                    waiting.TrySetResult();
                    FlushResult result = await flush;
                    Assert.False(result.IsCanceled);
                    return;
                }
            }

            throw new InvalidOperationException("No flush ever waited.");
        });

        await waiting.Task.WaitAsync(TestTimeouts.Long, Token);
        Task<long> reading = ReadToEndAsync();
        await writing.WaitAsync(TestTimeouts.Long, Token);

        // The flush went on once the reader drained enough; the rest is sent after it. The end of the stream (output
        // completed, everything sent, then the socket shut down) tells the reader it has it all: whether the writer
        // had finished when the last bytes arrived is a race the reader must not depend on.
        await pair.OnLoopAsync(() =>
        {
            pair.Server.Output.Complete();
            return Task.FromResult(0);
        });
        Eventually.True(() => pair.Server.IsOutputFinished, "everything written was sent");
        pair.ShutdownServerSend();
        Assert.Equal(written, await reading.WaitAsync(TestTimeouts.Long, Token));

        async Task<long> ReadToEndAsync()
        {
            long received = 0;
            byte[] buffer = new byte[64 * 1024];
            int read;
            while ((read = await pair.Client.ReceiveAsync(buffer, Token)) > 0)
            {
                received += read;
            }

            return received;
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task CancelPendingFlushEndsAWaitingFlush(string transport)
    {
        await using Pair pair = await Pair.OpenAsync(transport);
        pair.Client.ReceiveBufferSize = 16 * 1024;
        byte[] chunk = new byte[16 * 1024];
        // The peer never reads: once the socket is full and a flush waits, only the cancellation can end it.
        Task<FlushResult> writing = pair.OnLoopAsync(async () =>
        {
            for (int i = 0; i < 65536; i++)
            {
                pair.Server.Output.Write(chunk);
                FlushResult result = await pair.Server.Output.FlushAsync();
                if (result.IsCanceled)
                {
                    return result;
                }
            }

            throw new InvalidOperationException("No flush ever waited.");
        });

        await AssertAFlushWaitsAsync(pair, writing);
        // From another thread, as a timer would.
        await Task.Run(pair.Server.Output.CancelPendingFlush, Token);
        Assert.True((await writing.WaitAsync(TestTimeouts.Long, Token)).IsCanceled);
    }

    /// <summary>Waits, turn by turn of the loop, until a flush of <paramref name="writing"/> waits for a full socket.</summary>
    private static async Task AssertAFlushWaitsAsync(Pair pair, Task writing)
    {
        bool stuck = false;
        for (int turn = 0; turn < 100_000 && !stuck && !writing.IsCompleted; turn++)
        {
            stuck = await pair.OnLoopAsync(() => Task.FromResult(pair.Server.IsFlushWaiting && pair.Server.IsSendBlocked));
        }

        Assert.True(stuck);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task CancelPendingReadEndsAWaitingReadOrTheNextOne(string transport)
    {
        await using Pair pair = await Pair.OpenAsync(transport);
        bool[] outcomes = await pair.OnLoopAsync<bool[]>(async () =>
        {
            PipeReader input = pair.Server.Input;
            ValueTask<ReadResult> waiting = input.ReadAsync();
            bool pending = !waiting.IsCompleted;
            // From another thread, as a timer would.
            await Task.Run(input.CancelPendingRead, Token);
            ReadResult first = await waiting;
            input.AdvanceTo(first.Buffer.End);
            input.CancelPendingRead();
            ReadResult second = await input.ReadAsync();
            input.AdvanceTo(second.Buffer.End);
            using var cancel = new CancellationTokenSource();
            ValueTask<ReadResult> third = input.ReadAsync(cancel.Token);
            await cancel.CancelAsync();
            bool threw = false;
            try
            {
                await third;
            }
            catch (OperationCanceledException)
            {
                threw = true;
            }

            return [pending, first.IsCanceled, second.IsCanceled, threw];
        });

        Assert.Equal([true, true, true, true], outcomes);
        // Still usable afterwards.
        Task echo = pair.OnLoopAsync(() => EchoAsync(pair.Server));
        await pair.Client.SendAsync("ok"u8.ToArray(), Token);
        Assert.Equal("ok"u8.ToArray(), await AsyncClients.ReceiveExactlyAsync(pair.Client, 2, Token));
        pair.Client.Shutdown(SocketShutdown.Send);
        await echo.WaitAsync(TestTimeouts.Long, Token);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task TokensEndOnlyTheWaitTheyWereGivenTo(string transport)
    {
        await using Pair pair = await Pair.OpenAsync(transport);
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        var secondEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // A read given a token that is never canceled gets its bytes; the next read's token, canceled while it waits,
        // ends that read only; a read with no token afterwards waits and gets the next bytes as usual.
        Task<string[]> reading = pair.OnLoopAsync<string[]>(async () =>
        {
            PipeReader input = pair.Server.Input;
            ReadResult one = await input.ReadAsync(first.Token);
            string got = Encoding.ASCII.GetString(one.Buffer.ToArray());
            input.AdvanceTo(one.Buffer.End);
            ValueTask<ReadResult> waiting = input.ReadAsync(second.Token);
            await Task.Run(second.Cancel, Token);
            string outcome;
            try
            {
                ReadResult unexpected = await waiting;
                outcome = $"read {unexpected.Buffer.Length} bytes";
            }
            catch (OperationCanceledException e)
            {
                outcome = e.CancellationToken == second.Token ? "canceled by its token" : "canceled by another token";
            }

            secondEnded.SetResult();
            ReadResult three = await input.ReadAsync();
            string last = Encoding.ASCII.GetString(three.Buffer.ToArray());
            input.AdvanceTo(three.Buffer.End);
            return [got, outcome, last];
        });

        await pair.Client.SendAsync("one"u8.ToArray(), Token);
        // Sent once the second read is over: the third waits for it.
        await secondEnded.Task.WaitAsync(TestTimeouts.Long, Token);
        await pair.Client.SendAsync("two"u8.ToArray(), Token);
        Assert.Equal(["one", "canceled by its token", "two"], await reading.WaitAsync(TestTimeouts.Long, Token));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task AWaitingFlushEndsWhenItsTokenIsCanceled(string transport)
    {
        await using Pair pair = await Pair.OpenAsync(transport);
        pair.Client.ReceiveBufferSize = 16 * 1024;
        byte[] chunk = new byte[16 * 1024];
        using var cancel = new CancellationTokenSource();
        // The peer never reads: once the socket is full a flush waits, and only its token ends it.
        Task<string> writing = pair.OnLoopAsync(async () =>
        {
            for (int i = 0; i < 65536; i++)
            {
                pair.Server.Output.Write(chunk);
                try
                {
                    await pair.Server.Output.FlushAsync(cancel.Token);
                }
                catch (OperationCanceledException e)
                {
                    return e.CancellationToken == cancel.Token ? "canceled by its token" : "canceled by another token";
                }
            }

            throw new InvalidOperationException("No flush ever waited.");
        });

        await AssertAFlushWaitsAsync(pair, writing);
        await Task.Run(cancel.Cancel, Token);
        Assert.Equal("canceled by its token", await writing.WaitAsync(TestTimeouts.Long, Token));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task HalfCloseCompletesTheInputAndTheOutputStillWorks(string transport)
    {
        await using Pair pair = await Pair.OpenAsync(transport);
        await pair.Client.SendAsync("last words"u8.ToArray(), Token);
        pair.Client.Shutdown(SocketShutdown.Send);
        string seen = await pair.OnLoopAsync(async () =>
        {
            PipeReader input = pair.Server.Input;
            ReadResult result;
            while (true)
            {
                result = await input.ReadAsync();
                if (result.IsCompleted)
                {
                    break;
                }

                input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            }

            string text = Text(result.Buffer);
            input.AdvanceTo(result.Buffer.End);
            await pair.Server.Output.WriteAsync("bye"u8.ToArray());
            pair.Server.Output.Complete();
            return text;
        });

        Assert.Equal("last words", seen);
        Assert.Equal("bye"u8.ToArray(), await AsyncClients.ReceiveExactlyAsync(pair.Client, 3, Token));
        Assert.True(await pair.OnLoopAsync(() => Task.FromResult(pair.Server.IsOutputFinished)));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task AResetFailsTheReadWithAnIOException(string transport)
    {
        await using Pair pair = await Pair.OpenAsync(transport);
        Task<Exception?> reading = pair.OnLoopAsync<Exception?>(async () =>
        {
            try
            {
                while (true)
                {
                    ReadResult result = await pair.Server.Input.ReadAsync();
                    pair.Server.Input.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted)
                    {
                        return null;
                    }
                }
            }
            catch (IOException e)
            {
                return e;
            }
        });

        pair.Client.LingerState = new LingerOption(true, 0);
        pair.Client.Close();
        Assert.NotNull(await reading.WaitAsync(TestTimeouts.Long, Token));
        Assert.True(pair.Server.ConnectionClosed.IsCancellationRequested);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task CompletingTheOutputWithAnErrorDropsItAndEndsTheConnection(string transport)
    {
        await using Pair pair = await Pair.OpenAsync(transport);
        await pair.OnLoopAsync(() =>
        {
            pair.Server.Output.Write("never sent"u8);
            pair.Server.Output.Complete(new InvalidOperationException("the handler failed"));
            return Task.FromResult(0);
        });

        Assert.True(await pair.OnLoopAsync(() => Task.FromResult(pair.Server.IsOutputFinished)));
        Assert.True(pair.Server.ConnectionClosed.IsCancellationRequested);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task AHandlerContinuingOffTheLoopKeepsOrder(string transport)
    {
        await using Pair pair = await Pair.OpenAsync(transport);
        // Each message: read on the loop, then finish on the thread pool (consume, write, flush from there).
        Task echo = pair.OnLoopAsync(async () =>
        {
            PipeReader input = pair.Server.Input;
            PipeWriter output = pair.Server.Output;
            while (true)
            {
                ReadResult result = await input.ReadAsync();
                await Task.Yield();
                await Task.Run(() => { }, Token).ConfigureAwait(false);
                Assert.False(pair.Server.Loop.IsOnLoopThread);
                foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                {
                    output.Write(segment.Span);
                }

                input.AdvanceTo(result.Buffer.End);
                await output.FlushAsync();
                if (result.IsCompleted)
                {
                    break;
                }
            }

            input.Complete();
            output.Complete();
        });

        byte[] message = new byte[777];
        for (int i = 0; i < 300; i++)
        {
            message.AsSpan().Fill((byte)i);
            await pair.Client.SendAsync(message, Token);
            byte[] back = await AsyncClients.ReceiveExactlyAsync(pair.Client, message.Length, Token);
            Assert.Equal(message, back);
        }

        pair.Client.Shutdown(SocketShutdown.Send);
        await echo.WaitAsync(TestTimeouts.Long, Token);
        // Completed from the pool: the loop finishes the output once the rest is sent.
        bool finished = false;
        for (int turn = 0; turn < 100_000 && !finished; turn++)
        {
            finished = await pair.OnLoopAsync(() => Task.FromResult(pair.Server.IsOutputFinished));
        }

        Assert.True(finished);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task AReaderOnTheLoopAndAWriterOnThePoolRunAtOnce(string transport)
    {
        await using Pair pair = await Pair.OpenAsync(transport);
        const int Messages = 2000;
        // The writer, off the loop, sends numbered 8-byte records; the reader, on the loop, counts what it receives.
        Task writer = Task.Run(
            async () =>
            {
                for (int i = 0; i < Messages; i++)
                {
                    BitConverter.TryWriteBytes(pair.Server.Output.GetSpan(8), (long)i);
                    pair.Server.Output.Advance(8);
                    if (i % 3 == 0)
                    {
                        await pair.Server.Output.FlushAsync();
                    }
                }

                await pair.Server.Output.FlushAsync();
            },
            Token);
        Task<long> reader = pair.OnLoopAsync(async () =>
        {
            long total = 0;
            while (true)
            {
                ReadResult result = await pair.Server.Input.ReadAsync();
                total += result.Buffer.Length;
                pair.Server.Input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return total;
                }
            }
        });

        byte[] chunk = new byte[1500];
        Task sending = Task.Run(
            async () =>
            {
                for (int i = 0; i < 100; i++)
                {
                    await pair.Client.SendAsync(chunk, Token);
                }

                pair.Client.Shutdown(SocketShutdown.Send);
            },
            Token);
        byte[] records = await AsyncClients.ReceiveExactlyAsync(pair.Client, Messages * 8, Token);
        for (int i = 0; i < Messages; i++)
        {
            Assert.Equal(i, BitConverter.ToInt64(records, i * 8));
        }

        await Task.WhenAll(writer, sending).WaitAsync(TestTimeouts.Long, Token);
        Assert.Equal(100 * chunk.Length, await reader.WaitAsync(TestTimeouts.Long, Token));
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
    }

    private static async Task<ReadResult> ReadAtLeastAsync(PipeReader input, int length)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync();
            if (result.Buffer.Length >= length || result.IsCompleted)
            {
                return result;
            }

            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static string Text(ReadOnlySequence<byte> buffer) => System.Text.Encoding.ASCII.GetString(buffer.ToArray());

    /// <summary>A client socket and the accepted side as a duplex connection on a loop of its own.</summary>
    private sealed class Pair : IAsyncDisposable
    {
        private readonly IConnectionLoop _loop;
        private readonly IDisposable _loopOwner;
        private readonly Socket _accepted;

        private Pair(string transport, Socket client, Socket accepted)
        {
            Client = client;
            _accepted = accepted;
            accepted.Blocking = false;
            if (transport == "io_uring")
            {
                var loop = new IoUringLoop("test-uring");
                loop.Start();
                _loop = loop;
                _loopOwner = loop;
                Server = new DuplexConnection(loop, (int)accepted.Handle);
            }
            else
            {
                var group = new ReactorGroup(1);
                _loop = group.Loops[0];
                _loopOwner = group;
                Server = new DuplexConnection(group.Loops[0], (int)accepted.Handle);
            }

            Server.Start();
        }

        public Socket Client { get; }

        public DuplexConnection Server { get; }

        /// <summary>Ends the accepted socket's sending (the client reads the end of the stream).</summary>
        public void ShutdownServerSend() => _accepted.Shutdown(SocketShutdown.Send);

        public static async Task<Pair> OpenAsync(string transport)
        {
            Assert.SkipUnless(ReactorNative.IsSupported, "the loops run on 64-bit Linux");
            if (transport == "io_uring")
            {
                TestTransports.SkipUnlessAvailable(AsyncTransport.IoUring);
            }

            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await client.ConnectAsync(listener.LocalEndPoint!, Token);
            Socket accepted = await listener.AcceptAsync(Token);
            return new Pair(transport, client, accepted);
        }

        /// <summary>Starts <paramref name="body"/> on the loop's thread (as the server starts a handler) or on the pool.</summary>
        public Task Run(bool onLoop, Func<Task> body) => onLoop ? OnLoopAsync(body) : Task.Run(body, Token);

        public Task OnLoopAsync(Func<Task> body) => OnLoopAsync(async () =>
        {
            await body();
            return 0;
        });

        public async Task<T> OnLoopAsync<T>(Func<Task<T>> body)
        {
            var work = new StartWork<T>(body);
            _loop.Post(work);
            Task<T> started = await work.Started.Task.WaitAsync(TestTimeouts.Long, Token);
            return await started.WaitAsync(TestTimeouts.Long, Token);
        }

        public async ValueTask DisposeAsync()
        {
            await OnLoopAsync(() =>
            {
                Server.Detach();
                return Task.FromResult(0);
            });
            _loopOwner.Dispose();
            _accepted.Dispose();
            Client.Dispose();
        }
    }

    private sealed class StartWork<T>(Func<Task<T>> body) : IReactorWork
    {
        public TaskCompletionSource<Task<T>> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Execute()
        {
            try
            {
                Started.SetResult(body());
            }
            catch (Exception e)
            {
                Started.SetException(e);
            }
        }
    }
}
