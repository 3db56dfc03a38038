using System.Net;
using System.Net.Sockets;
using SocketServer.Internal.Reactor;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>
/// One request path for every mode: the catch rules of CPython's <c>_handle_request_noblock</c> hold the same under
/// <c>ServeForever</c>, the reactor and the portable transport, and a server runs one serve loop at a time.
/// </summary>
public sealed class RequestPathTests
{
    public static TheoryData<string> Modes => ["sync", "reactor", "portable"];

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AnExitRequestFromADatagramHandlerEndsTheRequestThenStopsServing(string mode)
    {
        SkipUnlessSupported(mode);
        var log = new HookLog();
        using var server = new RecordingUdpServer(log, () => new ThrowingDatagramHandler(new ServerExitException("stop")));
        Task serving = Serve(server, mode);
        using (Socket client = Clients.CreateDatagram(server.ServerAddress))
        {
            client.SendTo("x"u8, server.ServerAddress);
        }

        // As HandleRequestNoBlock: the request is shut down, then the exit request propagates and stops the serve run.
        await Assert.ThrowsAsync<ServerExitException>(() => serving.WaitAsync(TestTimeouts.Long, TestContext.Current.CancellationToken));
        Assert.Equal(1, log.Count("ShutdownRequest"));
        Assert.Empty(log.Errors);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AnExceptionFromVerifyRequestPropagatesOutOfTheServeRun(string mode)
    {
        SkipUnlessSupported(mode);
        var log = new HookLog();
        using var server = new VerifyThrowingServer(log);
        Task serving = Serve(server, mode);
        using (Clients.ConnectStream(server.ServerAddress))
        {
        }

        // CPython calls verify_request outside the try: its exception leaves serve_forever, and ServeAsync's task.
        InvalidProgramException e = await Assert.ThrowsAsync<InvalidProgramException>(() => serving.WaitAsync(TestTimeouts.Long, TestContext.Current.CancellationToken));
        Assert.Equal("verify", e.Message);
        Assert.Empty(log.Errors);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task ASecondServeRunWhileOneIsServingIsRefused(string mode)
    {
        SkipUnlessSupported(mode);
        using var server = new TcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new Protocols.EchoStreamHandler());
        Task serving = Serve(server, mode);
        // Serving once it answers.
        Assert.Equal("ok"u8.ToArray(), Clients.StreamRoundTrip(server.ServerAddress, "ok"u8.ToArray(), 2));
        Assert.Throws<InvalidOperationException>(() => server.ServeForever());
        // Refused at once, not as a faulted task: the caller's mistake, like ServeForever's.
        Assert.Throws<InvalidOperationException>(() =>
        {
            _ = server.ServeAsync(TestContext.Current.CancellationToken);
        });
        await Task.Run(server.Shutdown, TestContext.Current.CancellationToken);
        await serving.WaitAsync(TestTimeouts.Long, TestContext.Current.CancellationToken);
    }

    [Fact]
    public void TheLibraryPassesNothingThroughThreadStaticState()
    {
        // Handlers and connections reach FinishRequest through the request itself (RequestHandoffs), never through
        // state hidden on a thread, so a user's override of a hook sees everything a step uses.
        string source = Path.Combine(RepositoryRoot(), "src", "SocketServer");
        string[] offenders = [.. Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(file => File.ReadAllText(file).Contains("ThreadStatic", StringComparison.Ordinal))];
        Assert.Empty(offenders);
    }

    private static Task Serve(TcpServer server, string mode)
    {
        switch (mode)
        {
            case "sync":
                return Task.Factory.StartNew(() => server.ServeForever(TimeSpan.FromMilliseconds(10)), TaskCreationOptions.LongRunning);
            case "portable":
                server.UsePortableAsyncTransport = true;
                return server.ServeAsync(TestContext.Current.CancellationToken);
            default:
                return server.ServeAsync(TestContext.Current.CancellationToken);
        }
    }

    private static void SkipUnlessSupported(string mode) =>
        Assert.SkipWhen(mode == "reactor" && !ReactorNative.IsSupported, "ServeAsync's reactor runs on 64-bit Linux");

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SocketServer.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (SocketServer.slnx) was not found above the test's directory.");
    }

    /// <summary>Throws before its first await: under ServeAsync it starts inline where the datagram was received.</summary>
    private sealed class ThrowingDatagramHandler(Exception exception) : AsyncDatagramRequestHandler
    {
        protected override ValueTask HandleAsync() => throw exception;
    }

    private sealed class RecordingUdpServer(HookLog log, Func<BaseRequestHandler> factory)
        : UdpServer(new IPEndPoint(IPAddress.Loopback, 0), factory)
    {
        protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) => log.AddError(exception);

        protected override void ShutdownRequest(object request)
        {
            log.Add("ShutdownRequest");
            base.ShutdownRequest(request);
        }
    }

    private sealed class VerifyThrowingServer(HookLog log) : TcpServer(new IPEndPoint(IPAddress.Loopback, 0), static () => new BaseRequestHandler())
    {
        protected override bool VerifyRequest(object request, EndPoint? clientAddress) => throw new InvalidProgramException("verify");

        protected override void HandleError(object request, EndPoint? clientAddress, Exception exception) => log.AddError(exception);
    }
}
