using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests.Async;

/// <summary>
/// The run of an async handler under ServeAsync, step by step (SetupAsync, HandleAsync, FinishAsync, then the
/// connection closes), on each transport: steps that complete at once or later, steps that throw at once or later,
/// which exception is reported, and the execution context FinishAsync sees.
/// </summary>
public sealed class AsyncHandlerRunTests : IDisposable
{
    private readonly CancellationTokenSource _timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    public AsyncHandlerRunTests() => _timeout.CancelAfter(TestTimeouts.Long);

    private CancellationToken Token => _timeout.Token;

    public static TheoryData<string> Transports => new() { "reactor", "io_uring", "portable" };

    public void Dispose() => _timeout.Dispose();

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task StepsThatCompleteLaterRunInOrderAndFinishStillWrites(string transport)
    {
        (string reply, string[] steps, Exception[] errors) = await RunAsync(transport, new StepScript { Setup = Outcome.Later, Finish = Outcome.Later });
        Assert.Equal("handled ping\nbye\n", reply);
        Assert.Equal(["setup", "handle", "finish"], steps);
        Assert.Empty(errors);
    }

    public static TheoryData<string, Outcome> TransportsAndFailures
    {
        get
        {
            var data = new TheoryData<string, Outcome>();
            foreach (string transport in new[] { "reactor", "io_uring", "portable" })
            {
                foreach (Outcome failure in new[] { Outcome.Throws, Outcome.Faulted, Outcome.FailsLater })
                {
                    data.Add(transport, failure);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(TransportsAndFailures))]
    public async Task AFailedSetupSkipsHandleAndFinishAndIsReported(string transport, Outcome failure)
    {
        (string reply, string[] steps, Exception[] errors) = await RunAsync(transport, new StepScript { Setup = failure });
        Assert.Equal("", reply);
        Assert.Equal(["setup"], steps);
        Assert.Equal("setup failed", Assert.Single(errors).Message);
    }

    [Theory]
    [MemberData(nameof(TransportsAndFailures))]
    public async Task AFailedHandleStillFinishesAndIsReported(string transport, Outcome failure)
    {
        (string reply, string[] steps, Exception[] errors) = await RunAsync(transport, new StepScript { Handle = failure, Finish = Outcome.Later });
        Assert.Equal("bye\n", reply);
        Assert.Equal(["setup", "handle", "finish"], steps);
        Assert.Equal("handle failed", Assert.Single(errors).Message);
    }

    [Theory]
    [MemberData(nameof(TransportsAndFailures))]
    public async Task AFailedFinishIsReportedInsteadOfTheHandlesFailure(string transport, Outcome failure)
    {
        (_, string[] steps, Exception[] errors) = await RunAsync(transport, new StepScript { Handle = Outcome.FailsLater, Finish = failure });
        Assert.Equal(["setup", "handle", "finish"], steps);
        Assert.Equal("finish failed", Assert.Single(errors).Message);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task FinishSeesTheExecutionContextSetupLeftAfterHandleWaitedForTheClient(string transport)
    {
        // HandleAsync announces itself and only then gets the client's line, so it completes on whichever thread
        // delivers it: FinishAsync still runs in the run's context, with the AsyncLocal a synchronous SetupAsync set.
        (string reply, _, Exception[] errors) = await RunAsync(transport, new StepScript { SetupSetsContext = true, HandleAnnounces = true, FinishWritesContext = true });
        Assert.Equal("handled ping\nbye from setup's context\n", reply);
        Assert.Empty(errors);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task FinishSeesTheRunsExecutionContextWhenHandleIsCompletedFromAnotherThread(string transport)
    {
        // HandleAsync's task is completed by this test's thread, which runs its continuations in its own context.
        var script = new StepScript { SetupSetsContext = true, HandleReleasedByTest = true, FinishWritesContext = true };
        (string reply, _, Exception[] errors) = await RunAsync(transport, script);
        Assert.Equal("bye from setup's context\n", reply);
        Assert.Empty(errors);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task TheContextARunSetsDoesNotLeakIntoTheNextConnection(string transport)
    {
        var seen = new List<string?>();
        using var server = new RecordingTcpServer(
            new IPEndPoint(IPAddress.Loopback, 0),
            () => new SteppingHandler(new StepScript { SetupSetsContext = true, FinishWritesContext = true }, [], seen));
        TestTransports.Use(server, transport);
        server.AsyncLoopCount = 1;
        Task serving = server.ServeAsync(Token);
        try
        {
            for (int i = 0; i < 2; i++)
            {
                using Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
                await client.SendAsync("ping\n"u8.ToArray(), Token);
                Assert.Equal("handled ping\nbye from setup's context\n", Encoding.ASCII.GetString(await AsyncClients.ReceiveToEndAsync(client, Token)));
            }
        }
        finally
        {
            server.Shutdown();
            await serving.WaitAsync(Token);
        }

        // What each connection's SetupAsync found before setting it: nothing, both times (one loop served both).
        lock (seen)
        {
            Assert.Equal([null, null], seen);
        }
    }

    private async Task<(string Reply, string[] Steps, Exception[] Errors)> RunAsync(string transport, StepScript script)
    {
        var steps = new List<string>();
        using var server = new RecordingTcpServer(new IPEndPoint(IPAddress.Loopback, 0), () => new SteppingHandler(script, steps, []));
        TestTransports.Use(server, transport);
        server.AsyncLoopCount = 1;
        Task serving = server.ServeAsync(Token);
        try
        {
            using Socket client = await AsyncClients.ConnectAsync(server.ServerAddress, Token);
            if (script.HandleAnnounces)
            {
                Assert.Equal("ready\n"u8.ToArray(), await AsyncClients.ReceiveExactlyAsync(client, 6, Token));
            }

            if (script.HandleReleasedByTest)
            {
                await script.HandleStarted.Task.WaitAsync(Token);
                script.ReleaseHandle.SetResult();
            }

            if (script.ReadsLine)
            {
                // Only to a handler that reads it: a socket closed with unread input resets the connection.
                await client.SendAsync("ping\n"u8.ToArray(), Token);
            }

            // The server closes the connection once the run is over (whatever failed): the reply ends there.
            byte[] reply = await AsyncClients.ReceiveToEndAsync(client, Token);
            if (script.ExpectsError)
            {
                Assert.True(await server.ErrorReported.WaitAsync(TestTimeouts.Long, Token));
            }

            lock (steps)
            {
                return (Encoding.ASCII.GetString(reply), steps.ToArray(), server.Errors.ToArray());
            }
        }
        finally
        {
            server.Shutdown();
            await serving.WaitAsync(Token);
        }
    }

    /// <summary>How a step ends: at once or later, well or with its exception (thrown, or in the returned task).</summary>
    public enum Outcome
    {
        AtOnce,
        Later,
        Throws,
        Faulted,
        FailsLater,
    }

    private sealed class StepScript
    {
        public Outcome Setup { get; init; }

        public Outcome Handle { get; init; }

        public Outcome Finish { get; init; }

        public bool SetupSetsContext { get; init; }

        public bool HandleAnnounces { get; init; }

        public bool FinishWritesContext { get; init; }

        public bool HandleReleasedByTest { get; init; }

        public TaskCompletionSource HandleStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completed by the test: its continuations run on the test's thread, in the test's context.</summary>
        public TaskCompletionSource ReleaseHandle { get; } = new();

        public bool ReadsLine => !IsFailure(Setup) && Handle is not (Outcome.Throws or Outcome.Faulted) && !HandleReleasedByTest;

        public bool ExpectsError => IsFailure(Setup) || IsFailure(Handle) || IsFailure(Finish);

        private static bool IsFailure(Outcome outcome) => outcome is Outcome.Throws or Outcome.Faulted or Outcome.FailsLater;
    }

    /// <summary>Records each step it runs and ends it as the script says.</summary>
    private sealed class SteppingHandler(StepScript script, List<string> steps, List<string?> contextsSeen) : AsyncStreamRequestHandler
    {
        private static readonly AsyncLocal<string?> Context = new();

        protected override ValueTask SetupAsync()
        {
            Record("setup");
            lock (contextsSeen)
            {
                contextsSeen.Add(Context.Value);
            }

            if (script.SetupSetsContext)
            {
                // Set synchronously, in the run's own context (an async SetupAsync's changes would stay inside it).
                Context.Value = "setup's context";
            }

            return End(script.Setup, "setup failed", null);
        }

        protected override ValueTask HandleAsync()
        {
            Record("handle");
            if (script.HandleReleasedByTest)
            {
                script.HandleStarted.SetResult();
                return new ValueTask(script.ReleaseHandle.Task);
            }

            return script.Handle is Outcome.Throws or Outcome.Faulted
                ? End(script.Handle, "handle failed", null)
                : HandleLineAsync();
        }

        protected override ValueTask FinishAsync()
        {
            Record("finish");
            Write(script.FinishWritesContext ? $"bye from {Context.Value}\n" : "bye\n");
            return End(script.Finish, "finish failed", Output);
        }

        private async ValueTask HandleLineAsync()
        {
            if (script.HandleAnnounces)
            {
                Write("ready\n");
                await Output.FlushAsync();
            }

            ReadOnlySequence<byte>? line = await ReadLineAsync();
            if (script.Handle == Outcome.FailsLater)
            {
                throw new InvalidOperationException("handle failed");
            }

            Write($"handled {Encoding.ASCII.GetString(line!.Value)}");
        }

        private void Write(string text)
        {
            byte[] bytes = Encoding.ASCII.GetBytes(text);
            bytes.CopyTo(Output.GetSpan(bytes.Length));
            Output.Advance(bytes.Length);
        }

        /// <summary>Ends a step as <paramref name="outcome"/> says; a later end first flushes <paramref name="flush"/>.</summary>
        private static ValueTask End(Outcome outcome, string failure, System.IO.Pipelines.PipeWriter? flush) => outcome switch
        {
            Outcome.Throws => throw new InvalidOperationException(failure),
            Outcome.Faulted => ValueTask.FromException(new InvalidOperationException(failure)),
            Outcome.Later or Outcome.FailsLater => LaterAsync(outcome == Outcome.FailsLater ? failure : null, flush),
            _ => default,
        };

        private static async ValueTask LaterAsync(string? failure, System.IO.Pipelines.PipeWriter? flush)
        {
            await Task.Yield();
            if (flush is not null)
            {
                await flush.FlushAsync();
            }

            if (failure is not null)
            {
                throw new InvalidOperationException(failure);
            }
        }

        private void Record(string step)
        {
            lock (steps)
            {
                steps.Add(step);
            }
        }
    }
}
