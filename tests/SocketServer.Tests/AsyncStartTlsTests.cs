using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using SocketServer.Internal.Reactor;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>
/// STARTTLS in async handlers (<see cref="AsyncStreamRequestHandler.StartTlsAsync"/>), in every mode they run in:
/// ServeForever, a threading server, ServeAsync on the portable transport and on the reactor (where the connection
/// moves off its loop). Some count descriptors, so the class runs alone.
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class AsyncStartTlsTests : IDisposable
{
    private readonly CancellationTokenSource _timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    public AsyncStartTlsTests() => _timeout.CancelAfter(TestTimeouts.Long);

    public static TheoryData<string> Modes => new() { "sync", "threading", "portable", "reactor", "io_uring" };

    /// <summary>Every mode, and ServeAsync's transports on a Unix socket too.</summary>
    public static TheoryData<string> ModesAndUnix => new() { "sync", "threading", "portable", "reactor", "io_uring", "portable-unix", "reactor-unix", "io_uring-unix" };

    /// <summary>ServeAsync's transports, where the server's limits apply to an async handler's reads.</summary>
    public static TheoryData<string> ServeAsyncModes => new() { "portable", "reactor", "io_uring" };

    /// <summary>The modes that serve other clients while one is stuck.</summary>
    public static TheoryData<string> ConcurrentModes => new() { "threading", "portable", "reactor", "io_uring" };

    private static TestCertificates Certs => TestCertificates.Shared;

    private CancellationToken Token => _timeout.Token;

    [Theory]
    [MemberData(nameof(ModesAndUnix))]
    public async Task UpgradesAPlaintextConversationAndEchoesOverTls(string mode)
    {
        using var directory = new TempDirectory();
        await using var serving = Serving.Start(mode, ServerOptions(), unixDirectory: directory);
        using (Socket socket = Clients.ConnectStream(serving.Server.ServerAddress))
        {
            Greet(socket);
            SendPlain(socket, "MAIL before\r\n");
            Assert.Equal("250 plain: MAIL before", ReadPlainLine(socket));
            SendPlain(socket, "INFO\r\n");
            string plainInfo = ReadPlainLine(socket);
            Assert.StartsWith("tls=False protocol=None", plainInfo, StringComparison.Ordinal);
            if (mode.StartsWith("reactor", StringComparison.Ordinal))
            {
                // In plaintext the reactor serves the connection on its loop: the upgrade has to move it.
                Assert.Contains("thread=socketserver-loop", plainInfo, StringComparison.Ordinal);
            }

            SendPlain(socket, "STARTTLS\r\n");
            Assert.Equal("220 go ahead", ReadPlainLine(socket));

            using SslStream tls = await HandshakeAsync(new NetworkStream(socket, ownsSocket: false), Token);
            using var reader = new StreamReader(tls, Encoding.UTF8, leaveOpen: true);
            Assert.Equal("250 tls: secret line", await Exchange(tls, reader, "secret line"));
            string info = await Exchange(tls, reader, "INFO") ?? "";
            Assert.StartsWith("tls=True protocol=Tls13 alpn=- sni=localhost client=-", info, StringComparison.Ordinal);
            // Over TLS the handler is off the event loops, as a connection accepted with TLS is.
            Assert.DoesNotContain("thread=socketserver-loop", info, StringComparison.Ordinal);
            Assert.Equal("221 bye", await Exchange(tls, reader, "QUIT"));
            Assert.Null(await reader.ReadLineAsync(Token));
        }

        await serving.StopAsync(expectedCloses: 1);
        Assert.Empty(serving.Events.Errors);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task OpenSslStartTlsSmtpIsServed(string mode)
    {
        TlsPeers.Require("openssl");
        await using var serving = Serving.Start(mode, ServerOptions());
        PeerRun run = TlsPeers.OpenSsl(serving.Server.ServerAddress, "hello from openssl\nINFO\nQUIT\n", "-starttls", "smtp");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("250 tls: hello from openssl\r\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("tls=True protocol=Tls13", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("221 bye\r\n", run.Stdout, StringComparison.Ordinal);
        await serving.StopAsync(expectedCloses: 1);
        Assert.Empty(serving.Events.Errors);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AHelloSentWithTheCommandIsReadByTheHandshake(string mode)
    {
        // The client does not wait for "220 go ahead": its hello arrives with the command, so the server has read it
        // off the socket already. It is not plaintext (a TLS handshake record): the handshake must get it.
        await using var serving = Serving.Start(mode, ServerOptions());
        using (Socket socket = Clients.ConnectStream(serving.Server.ServerAddress))
        {
            Greet(socket);
            using SslStream tls = await HandshakeAsync(new CommandFirstStream(new NetworkStream(socket, ownsSocket: false), "STARTTLS\r\n", "220 go ahead\r\n"), Token);
            using var reader = new StreamReader(tls, Encoding.UTF8, leaveOpen: true);
            Assert.Equal("250 tls: pipelined", await Exchange(tls, reader, "pipelined"));
            Assert.Equal("221 bye", await Exchange(tls, reader, "QUIT"));
        }

        await serving.StopAsync(expectedCloses: 1);
        Assert.Empty(serving.Events.Errors);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task RefusesPlaintextInjectedAfterTheCommand(string mode)
    {
        await using var serving = Serving.Start(mode, ServerOptions());
        using (Socket socket = Clients.ConnectStream(serving.Server.ServerAddress))
        {
            Greet(socket);
            // One write: the injected command is in the server's buffer before the upgrade.
            SendPlain(socket, "STARTTLS\r\nRCPT TO:<evil>\r\n");
            byte[] rest = Clients.ReceiveToEnd(socket);
            Assert.Equal("220 go ahead\r\n", Encoding.UTF8.GetString(rest));
        }

        var error = Assert.IsType<InvalidOperationException>(serving.Events.WaitForError());
        Assert.StartsWith("StartTlsAsync refused: the client 127.0.0.1:", error.Message, StringComparison.Ordinal);
        Assert.Contains("sent 16 more plaintext byte(s) after the command", error.Message, StringComparison.Ordinal);

        // Others are served as before.
        PeerRun good = TlsPeers.OpenSsl(serving.Server.ServerAddress, "after the refusal\nQUIT\n", "-starttls", "smtp");
        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Contains("250 tls: after the refusal\r\n", good.Stdout, StringComparison.Ordinal);
        await serving.StopAsync(expectedCloses: 2);
        Assert.Single(serving.Events.Errors);
    }

    [Theory]
    [MemberData(nameof(ConcurrentModes))]
    public async Task GarbageAfterStartTlsIsReportedAndEverythingIsGivenBack(string mode)
    {
        FileDescriptors.SkipUnlessCountable();
        await using var serving = Serving.Start(mode, ServerOptions());
        int before = WarmUp(serving);
        using (Socket bad = Clients.ConnectStream(serving.Server.ServerAddress))
        {
            ReachGoAhead(bad);
            bad.Send(new byte[10]);
            TlsFaultTests.AssertClosedByServer(bad);
            var error = Assert.IsType<TlsHandshakeException>(serving.Events.WaitForError());
            Assert.StartsWith($"TLS handshake with {bad.LocalEndPoint} failed:", error.Message, StringComparison.Ordinal);
            Assert.False(error.TimedOut);
        }

        serving.Events.WaitForClosed(1);
        AssertGivenBack(serving, before, "the connection's slot was given back");
        await serving.StopAsync(expectedCloses: 0);
        Assert.Single(serving.Events.Errors);
    }

    [Theory]
    [MemberData(nameof(ConcurrentModes))]
    public async Task ASilentClientAfterStartTlsIsCutOffAtTheDeadlineWhileOthersAreServed(string mode)
    {
        FileDescriptors.SkipUnlessCountable();
        TlsOptions options = ServerOptions();
        options.HandshakeTimeout = TimeSpan.FromMilliseconds(300);
        await using var serving = Serving.Start(mode, options);
        int before = WarmUp(serving);
        using (Socket silent = Clients.ConnectStream(serving.Server.ServerAddress))
        {
            ReachGoAhead(silent);

            PeerRun good = TlsPeers.OpenSsl(serving.Server.ServerAddress, "meanwhile\nQUIT\n", "-starttls", "smtp");
            Assert.True(good.ExitCode == 0, good.ToString());
            Assert.Contains("250 tls: meanwhile\r\n", good.Stdout, StringComparison.Ordinal);

            TlsFaultTests.AssertClosedByServer(silent);
            var error = Assert.IsType<TlsHandshakeException>(serving.Events.WaitForError());
            Assert.True(error.TimedOut, error.Message);
            Assert.Equal($"TLS handshake with {silent.LocalEndPoint} timed out after 0.3 s (HandshakeTimeout).", error.Message);
        }

        serving.Events.WaitForClosed(2);
        AssertGivenBack(serving, before, "the connections' slots were given back");
        await serving.StopAsync(expectedCloses: 0);
        Assert.Single(serving.Events.Errors);
    }

    [Theory]
    [MemberData(nameof(ConcurrentModes))]
    public async Task AClientThatResetsAfterStartTlsIsClosedOnce(string mode)
    {
        FileDescriptors.SkipUnlessCountable();
        await using var serving = Serving.Start(mode, ServerOptions());
        int before = WarmUp(serving);
        using (Socket reset = Clients.ConnectStream(serving.Server.ServerAddress))
        {
            ReachGoAhead(reset);
            reset.LingerState = new LingerOption(true, 0);
        }

        // The upgrade fails wherever the reset finds it (moving off the loop, or in the handshake), and is reported.
        Assert.IsAssignableFrom<IOException>(serving.Events.WaitForError());
        serving.Events.WaitForClosed(1);
        AssertGivenBack(serving, before, "the connection's slot was given back");
        await serving.StopAsync(expectedCloses: 0);
        Assert.Single(serving.Events.Errors);
    }

    [Theory]
    [MemberData(nameof(ServeAsyncModes))]
    public async Task AnUpgradedConnectionGivesItsSlotBackForTheNextClient(string mode)
    {
        // With room for one connection, the second client is only accepted once the first, upgraded, gave its slot back.
        await using var serving = Serving.Start(mode, ServerOptions(), static server => server.Limits.MaxConnections = 1);
        for (int i = 0; i < 2; i++)
        {
            PeerRun run = TlsPeers.OpenSsl(serving.Server.ServerAddress, $"client {i}\nQUIT\n", "-starttls", "smtp");
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains($"250 tls: client {i}\r\n", run.Stdout, StringComparison.Ordinal);
        }

        await serving.StopAsync(expectedCloses: 2);
        Assert.Empty(serving.Events.Errors);
    }

    [Theory]
    [MemberData(nameof(ServeAsyncModes))]
    public async Task StoppingWhileAClientIsInItsStartTlsClosesItOnce(string mode)
    {
        FileDescriptors.SkipUnlessCountable();
        await using var serving = Serving.Start(mode, ServerOptions());
        int before = WarmUp(serving);
        using (Socket silent = Clients.ConnectStream(serving.Server.ServerAddress))
        {
            ReachGoAhead(silent);

            // Wherever the upgrade is (moving off the loop, or in the handshake), stopping ends it and closes the socket once.
            await serving.StopAsync(expectedCloses: 1, closedBeforeStop: false);
            TlsFaultTests.AssertClosedByServer(silent);
        }

        Assert.True(TlsFaultTests.SocketDescriptors() <= before, $"sockets before: {before}, now: {TlsFaultTests.SocketDescriptors()}");
        Assert.All(serving.Events.Errors, static e => Assert.IsAssignableFrom<IOException>(e));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task StartTlsTwiceIsAClearError(string mode)
    {
        await using var serving = Serving.Start(mode, ServerOptions());
        using (Socket socket = Clients.ConnectStream(serving.Server.ServerAddress))
        {
            ReachGoAhead(socket);
            using SslStream tls = await HandshakeAsync(new NetworkStream(socket, ownsSocket: false), Token);
            using var reader = new StreamReader(tls, Encoding.UTF8, leaveOpen: true);
            Assert.Equal("220 go ahead", await Exchange(tls, reader, "STARTTLS"));
            Assert.Null(await reader.ReadLineAsync(Token));
        }

        var error = Assert.IsType<InvalidOperationException>(serving.Events.WaitForError());
        Assert.Equal("StartTlsAsync: the connection is encrypted already.", error.Message);
        await serving.StopAsync(expectedCloses: 1);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task StartTlsWithoutOptionsIsAClearError(string mode)
    {
        await using var serving = Serving.Start(mode, ServerOptions(), server => ((TcpServer)server).Tls = null);
        using (Socket socket = Clients.ConnectStream(serving.Server.ServerAddress))
        {
            Greet(socket);
            SendPlain(socket, "STARTTLS\r\n");
            Assert.Equal("220 go ahead\r\n", Encoding.UTF8.GetString(Clients.ReceiveToEnd(socket)));
        }

        var error = Assert.IsType<InvalidOperationException>(serving.Events.WaitForError());
        Assert.Equal("StartTlsAsync needs TLS options: pass them, or set the server's Tls property.", error.Message);
        await serving.StopAsync(expectedCloses: 1);
    }

    [Theory]
    [MemberData(nameof(ServeAsyncModes))]
    public async Task TheServersLineLimitStillAppliesAfterTheUpgrade(string mode)
    {
        await using var serving = Serving.Start(mode, ServerOptions(), server => server.Limits.MaxLineLength = 64);
        using (Socket socket = Clients.ConnectStream(serving.Server.ServerAddress))
        {
            ReachGoAhead(socket);
            using SslStream tls = await HandshakeAsync(new NetworkStream(socket, ownsSocket: false), Token);
            using var reader = new StreamReader(tls, Encoding.UTF8, leaveOpen: true);
            Assert.Equal("250 tls: short", await Exchange(tls, reader, "short"));
            await tls.WriteAsync(Encoding.UTF8.GetBytes(new string('x', 100) + "\r\n"), Token);
            try
            {
                Assert.Null(await reader.ReadLineAsync(Token));
            }
            catch (IOException)
            {
                // The limit may end the connection with a reset.
            }
        }

        await serving.StopAsync(expectedCloses: 1);
        // Counted as a limit, not reported as a handler failure.
        Assert.Empty(serving.Events.Errors);
    }

    public void Dispose() => _timeout.Dispose();

    private static TlsOptions ServerOptions() => TlsOptions.FromPemFiles(Certs.CertPath("server"), Certs.KeyPath("server"));

    private static void Greet(Socket socket)
    {
        Assert.Equal("220 localhost ESMTP test", ReadPlainLine(socket));
        SendPlain(socket, "EHLO test\r\n");
        Assert.Equal("250-localhost", ReadPlainLine(socket));
        Assert.Equal("250 STARTTLS", ReadPlainLine(socket));
    }

    private static void SendPlain(Socket socket, string text) => socket.Send(Encoding.UTF8.GetBytes(text));

    /// <summary>Reads one line byte by byte, so nothing after it (the TLS handshake) is taken.</summary>
    private static string ReadPlainLine(Socket socket)
    {
        var line = new StringBuilder();
        byte[] one = new byte[1];
        while (socket.Receive(one) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }

        return line.ToString().TrimEnd('\r');
    }

    /// <summary>Greets, sends STARTTLS in plaintext and reads the "go ahead": the client may now start its handshake.</summary>
    private static void ReachGoAhead(Socket socket)
    {
        Greet(socket);
        SendPlain(socket, "STARTTLS\r\n");
        Assert.Equal("220 go ahead", ReadPlainLine(socket));
    }

    /// <summary>Every connection's slot and socket descriptor came back.</summary>
    private static void AssertGivenBack(Serving serving, int before, string what)
    {
        Eventually.True(() => serving.Server.Connections.Count == 0, what);
        Assert.True(TlsFaultTests.SocketDescriptors() <= before, $"sockets before: {before}, now: {TlsFaultTests.SocketDescriptors()}");
    }

    private static async Task<SslStream> HandshakeAsync(Stream inner, CancellationToken token)
    {
        var tls = new SslStream(inner, leaveInnerStreamOpen: false, static (_, certificate, _, _) => certificate?.GetCertHashString() == Certs.Server.Thumbprint);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, token);
        return tls;
    }

    private async Task<string?> Exchange(SslStream tls, StreamReader reader, string line)
    {
        await tls.WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"), Token);
        return await reader.ReadLineAsync(Token);
    }

    private static int WarmUp(Serving serving)
    {
        // One whole STARTTLS conversation first, so what is opened once per process is in the baseline.
        PeerRun warm = TlsPeers.OpenSsl(serving.Server.ServerAddress, "warm up\nQUIT\n", "-starttls", "smtp");
        Assert.True(warm.ExitCode == 0, warm.ToString());
        serving.Events.WaitForClosed(1);
        Eventually.True(() => serving.Server.Connections.Count == 0, "the warm-up connection's slot was given back");
        return TlsFaultTests.SocketDescriptors();
    }

    /// <summary>A server with STARTTLS (TlsOnAccept false) serving <see cref="AsyncSmtpLikeHandler"/> in one mode.</summary>
    private sealed class Serving : IAsyncDisposable
    {
        private readonly ServerRunner? _runner;
        private readonly Task? _serving;
        private bool _stopped;

        private Serving(BaseServer server, TlsEvents events, ServerRunner? runner, Task? serving)
        {
            Server = server;
            Events = events;
            _runner = runner;
            _serving = serving;
        }

        public BaseServer Server { get; }

        public TlsEvents Events { get; }

        public static Serving Start(string mode, TlsOptions options, Action<BaseServer>? configure = null, TempDirectory? unixDirectory = null)
        {
            if (mode.StartsWith("reactor", StringComparison.Ordinal))
            {
                Assert.SkipUnless(ReactorNative.IsSupported, "the reactor runs on 64-bit Linux");
            }

            static BaseRequestHandler Handlers() => new AsyncSmtpLikeHandler();
            bool portable = mode.StartsWith("portable", StringComparison.Ordinal);
            (BaseServer server, TlsEvents events) = mode switch
            {
                "threading" => Pair(new TlsThreadingTcpServer(options, Handlers) { TlsOnAccept = false }),
                "portable-unix" or "reactor-unix" or "io_uring-unix" => Pair(new TlsUnixStreamServer(unixDirectory!.NewSocketPath("starttls"), options, Handlers) { TlsOnAccept = false, UsePortableAsyncTransport = portable }),
                _ => Pair(new TlsTcpServer(options, Handlers) { TlsOnAccept = false, UsePortableAsyncTransport = portable }),
            };
            if (mode.StartsWith("io_uring", StringComparison.Ordinal))
            {
                TestTransports.Use(server, mode);
            }
            configure?.Invoke(server);
            return mode is "sync" or "threading"
                ? new Serving(server, events, new ServerRunner(server), null)
                : new Serving(server, events, null, server.ServeAsync(TestContext.Current.CancellationToken));
        }

        /// <summary>
        /// Stops serving (after those connections were closed, or before: then stopping closes them); exactly
        /// <paramref name="expectedCloses"/> more connections were closed, each once.
        /// </summary>
        public async Task StopAsync(int expectedCloses, bool closedBeforeStop = true)
        {
            if (closedBeforeStop)
            {
                Events.WaitForClosed(expectedCloses);
            }

            _stopped = true;
            if (_runner is not null)
            {
                _runner.Stop();
            }
            else
            {
                Server.Shutdown();
                await _serving!.WaitAsync(TestTimeouts.Long);
            }

            if (!closedBeforeStop)
            {
                Events.WaitForClosed(expectedCloses);
            }

            Assert.Equal(0, Events.ConnectionClosed.CurrentCount);
            Assert.Equal(0, Server.Connections.Count);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stopped)
            {
                _runner?.Dispose();
                if (_serving is not null)
                {
                    Server.Shutdown();
                    await _serving.WaitAsync(TestTimeouts.Long);
                }
            }

            Server.Dispose();
        }

        private static (BaseServer, TlsEvents) Pair(TlsTcpServer server) => (server, server.Events);

        private static (BaseServer, TlsEvents) Pair(TlsThreadingTcpServer server) => (server, server.Events);

        private static (BaseServer, TlsEvents) Pair(TlsUnixStreamServer server) => (server, server.Events);
    }

    /// <summary>
    /// A client's stream that sends the STARTTLS command in the same write as its TLS hello, and skips the server's
    /// "go ahead" reply before the TLS records.
    /// </summary>
    private sealed class CommandFirstStream(Stream inner, string command, string reply) : Stream
    {
        private byte[]? _command = Encoding.UTF8.GetBytes(command);
        private int _replyLeft = Encoding.UTF8.GetByteCount(reply);

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            byte[] skip = new byte[1];
            while (_replyLeft > 0)
            {
                if (await inner.ReadAsync(skip, cancellationToken) == 0)
                {
                    return 0;
                }

                _replyLeft--;
            }

            return await inner.ReadAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_command is { } command)
            {
                _command = null;
                await inner.WriteAsync((byte[])[.. command, .. buffer.Span], cancellationToken);
                return;
            }

            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
