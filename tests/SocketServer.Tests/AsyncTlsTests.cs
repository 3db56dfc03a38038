using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>
/// TLS on the async path: <see cref="BaseServer.ServeAsync"/> (on the reactor and on the portable transport) and
/// async handlers under the faithful loops, driven by openssl s_client and python3's ssl module. Some count
/// descriptors, so the class runs alone.
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class AsyncTlsTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly CancellationTokenSource _timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    public AsyncTlsTests() => _timeout.CancelAfter(TestTimeouts.Long);

    public static TheoryData<string, string> TransportsAndFamilies => new()
    {
        { "reactor", "tcp" },
        { "reactor", "unix" },
        { "portable", "tcp" },
        { "portable", "unix" },
        { "io_uring", "tcp" },
        { "io_uring", "unix" },
    };

    public static TheoryData<string> Transports => new() { "reactor", "portable", "io_uring" };

    private static TestCertificates Certs => TestCertificates.Shared;

    private CancellationToken Token => _timeout.Token;

    [Theory]
    [MemberData(nameof(TransportsAndFamilies))]
    public async Task ServeAsyncEchoesOverTls13And12(string transport, string family)
    {
        (BaseServer server, TlsEvents events) = Create(transport, family, ServerOptions(), static () => new AsyncTlsInfoHandler());
        using (server)
        {
            Task serving = server.ServeAsync(Token);

            PeerRun tls13 = TlsPeers.OpenSsl(server.ServerAddress, "over tls 1.3\n", "-tls1_3");
            Assert.True(tls13.ExitCode == 0, tls13.ToString());
            Assert.Contains("echo: over tls 1.3\n", tls13.Stdout, StringComparison.Ordinal);
            Assert.Contains("tls=True protocol=Tls13", tls13.Stdout, StringComparison.Ordinal);
            // Served off the event loops: the handshake and the encryption never hold a loop up.
            Assert.DoesNotContain("thread=socketserver-loop", tls13.Stdout, StringComparison.Ordinal);

            PeerRun tls12 = TlsPeers.OpenSsl(server.ServerAddress, "over tls 1.2\n", "-tls1_2");
            Assert.True(tls12.ExitCode == 0, tls12.ToString());
            Assert.Contains("echo: over tls 1.2\n", tls12.Stdout, StringComparison.Ordinal);
            Assert.Contains("tls=True protocol=Tls12", tls12.Stdout, StringComparison.Ordinal);

            PeerRun python = TlsPeers.Python(server.ServerAddress, "from python");
            Assert.True(python.ExitCode == 0, python.ToString());
            Assert.Contains("echo: from python\n", python.Stdout, StringComparison.Ordinal);

            server.Shutdown();
            await serving.WaitAsync(Token);
        }

        Assert.Empty(events.Errors);
    }

    [Fact]
    public async Task APlaintextClientGetsNoPlaintextReply()
    {
        // The bug this fixes: ServeAsync with Tls set used to echo in the clear.
        (BaseServer server, TlsEvents events) = Create("reactor", "tcp", ServerOptions(), static () => new AsyncTlsInfoHandler());
        using (server)
        {
            Task serving = server.ServeAsync(Token);
            using (Socket plain = Clients.ConnectStream(server.ServerAddress))
            {
                plain.Send("hello in the clear\n"u8);
                TlsFaultTests.AssertClosedByServer(plain);
            }

            Assert.IsType<TlsHandshakeException>(events.WaitForError());
            server.Shutdown();
            await serving.WaitAsync(Token);
        }
    }

    [Fact]
    public async Task AnAsyncHandlerSeesAlpnSniAndTheClientCertificate()
    {
        TlsOptions options = ServerOptions();
        options.ApplicationProtocols.Add(new SslApplicationProtocol("echo/1"));
        options.ClientCertificateMode = ClientCertificateMode.Optional;
        options.ClientCertificateAuthorities.Add(Certs.Ca);
        options.CertificateSelector = host => host == "alpha.test" ? Certs.Alpha : null;
        (BaseServer server, TlsEvents events) = Create("reactor", "tcp", options, static () => new AsyncTlsInfoHandler());
        using (server)
        {
            Task serving = server.ServeAsync(Token);

            PeerRun signed = TlsPeers.Python(server.ServerAddress, "signed", "--cert", Certs.CertPath("client"), "--key", Certs.KeyPath("client"), "--alpn", "other,echo/1");
            Assert.True(signed.ExitCode == 0, signed.ToString());
            Assert.Contains("alpn=echo/1", signed.Stdout, StringComparison.Ordinal);
            Assert.Contains("client=test client", signed.Stdout, StringComparison.Ordinal);

            PeerRun alpha = TlsPeers.OpenSsl(server.ServerAddress, "a\n", "-servername", "alpha.test");
            Assert.True(alpha.ExitCode == 0, alpha.ToString());
            Assert.Contains("CN = alpha.test", alpha.Stderr, StringComparison.Ordinal);
            Assert.Contains("alpn=- sni=alpha.test client=-", alpha.Stdout, StringComparison.Ordinal);

            server.Shutdown();
            await serving.WaitAsync(Token);
        }

        Assert.Empty(events.Errors);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task GarbageIsReportedAndClosedWhileOthersAreServed(string transport)
    {
        FileDescriptors.SkipUnlessCountable();
        (BaseServer server, TlsEvents events) = Create(transport, "tcp", ServerOptions(), static () => new AsyncTlsInfoHandler());
        using (server)
        {
            Task serving = server.ServeAsync(Token);
            int before = WarmUp(server, events);
            using (Socket bad = Clients.ConnectStream(server.ServerAddress))
            {
                bad.Send(new byte[10]);
                TlsFaultTests.AssertClosedByServer(bad);
                var error = Assert.IsType<TlsHandshakeException>(events.WaitForError());
                Assert.StartsWith($"TLS handshake with {bad.LocalEndPoint} failed:", error.Message, StringComparison.Ordinal);
                Assert.False(error.TimedOut);
            }

            PeerRun good = TlsPeers.Python(server.ServerAddress, "good client");
            Assert.Contains("echo: good client", good.Stdout, StringComparison.Ordinal);
            events.WaitForClosed(2);
            Assert.True(TlsFaultTests.SocketDescriptors() <= before, $"sockets before: {before}, now: {TlsFaultTests.SocketDescriptors()}");
            server.Shutdown();
            await serving.WaitAsync(Token);
        }

        Assert.Single(events.Errors);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ASilentClientIsCutOffAtTheDeadlineWhileOthersAreServed(string transport)
    {
        FileDescriptors.SkipUnlessCountable();
        TlsOptions options = ServerOptions();
        options.HandshakeTimeout = TimeSpan.FromMilliseconds(300);
        (BaseServer server, TlsEvents events) = Create(transport, "tcp", options, static () => new AsyncTlsInfoHandler());
        using (server)
        {
            Task serving = server.ServeAsync(Token);
            int before = WarmUp(server, events);
            using (Socket silent = Clients.ConnectStream(server.ServerAddress))
            {
                PeerRun good = TlsPeers.Python(server.ServerAddress, "meanwhile");
                Assert.Contains("echo: meanwhile", good.Stdout, StringComparison.Ordinal);

                TlsFaultTests.AssertClosedByServer(silent);
                var error = Assert.IsType<TlsHandshakeException>(events.WaitForError());
                Assert.True(error.TimedOut, error.Message);
                Assert.Equal($"TLS handshake with {silent.LocalEndPoint} timed out after 0.3 s (HandshakeTimeout).", error.Message);
            }

            events.WaitForClosed(2);
            Assert.True(TlsFaultTests.SocketDescriptors() <= before, $"sockets before: {before}, now: {TlsFaultTests.SocketDescriptors()}");
            server.Shutdown();
            await serving.WaitAsync(Token);
        }

        Assert.Single(events.Errors);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task StoppingEndsHandshakesAndIdleTlsConnections(string transport)
    {
        FileDescriptors.SkipUnlessCountable();
        (BaseServer server, TlsEvents events) = Create(transport, "tcp", ServerOptions(), static () => new AsyncTlsInfoHandler());
        int before;
        using (server)
        {
            Task serving = server.ServeAsync(Token);
            before = WarmUp(server, events);
            using Socket silent = Clients.ConnectStream(server.ServerAddress);
            using var idle = new TcpClient(AddressFamily.InterNetwork);
            await idle.ConnectAsync((IPEndPoint)server.ServerAddress, Token);
            using var tls = new SslStream(idle.GetStream(), leaveInnerStreamOpen: false, static (_, certificate, _, _) => certificate?.GetCertHashString() == Certs.Server.Thumbprint);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, Token);

            server.Shutdown();
            await serving.WaitAsync(Token);

            // Both were closed by the server: the idle one sees the end of its TLS stream, the silent one the end.
            Assert.Equal(0, await tls.ReadAsync(new byte[16], Token));
            TlsFaultTests.AssertClosedByServer(silent);
        }

        Assert.True(TlsFaultTests.SocketDescriptors() <= before, $"sockets before: {before}, now: {TlsFaultTests.SocketDescriptors()}");
        Assert.Empty(events.Errors);
    }

    [Fact]
    public async Task ASynchronousHandlerUnderServeAsyncGetsTls()
    {
        (BaseServer server, TlsEvents events) = Create("reactor", "tcp", ServerOptions(), static () => new TlsInfoHandler());
        using (server)
        {
            Task serving = server.ServeAsync(Token);
            PeerRun run = TlsPeers.OpenSsl(server.ServerAddress, "sync under async\n", "-tls1_3");
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("echo: sync under async\n", run.Stdout, StringComparison.Ordinal);
            Assert.Contains("tls=True protocol=Tls13", run.Stdout, StringComparison.Ordinal);
            server.Shutdown();
            await serving.WaitAsync(Token);
        }

        Assert.Empty(events.Errors);
    }

    [Theory]
    [InlineData("sync")]
    [InlineData("threading")]
    public void AnAsyncHandlerUnderTheFaithfulLoopsGetsTls(string mode)
    {
        using BaseServer server = mode == "sync"
            ? new TlsTcpServer(ServerOptions(), static () => new AsyncTlsInfoHandler())
            : new TlsThreadingTcpServer(ServerOptions(), static () => new AsyncTlsInfoHandler());
        using var runner = new ServerRunner(server);

        PeerRun openssl = TlsPeers.OpenSsl(server.ServerAddress, "async under ServeForever\n", "-tls1_2");
        Assert.True(openssl.ExitCode == 0, openssl.ToString());
        Assert.Contains("echo: async under ServeForever\n", openssl.Stdout, StringComparison.Ordinal);
        Assert.Contains("tls=True protocol=Tls12", openssl.Stdout, StringComparison.Ordinal);

        PeerRun python = TlsPeers.Python(server.ServerAddress, "python");
        Assert.True(python.ExitCode == 0, python.ToString());
        Assert.Contains("echo: python\n", python.Stdout, StringComparison.Ordinal);
        Assert.Contains("tls=True protocol=Tls13", python.Stdout, StringComparison.Ordinal);

        using (Socket plain = Clients.ConnectStream(server.ServerAddress))
        {
            plain.Send("in the clear\n"u8);
            TlsFaultTests.AssertClosedByServer(plain);
        }

        TlsEvents events = server is TlsTcpServer sync ? sync.Events : ((TlsThreadingTcpServer)server).Events;
        Assert.IsType<TlsHandshakeException>(events.WaitForError());
    }

    public void Dispose()
    {
        _timeout.Dispose();
        _directory.Dispose();
    }

    private static TlsOptions ServerOptions() => TlsOptions.FromPemFiles(Certs.CertPath("server"), Certs.KeyPath("server"));

    private static int WarmUp(BaseServer server, TlsEvents events)
    {
        PeerRun warm = TlsPeers.Python(server.ServerAddress, "warm up");
        Assert.Contains("echo: warm up", warm.Stdout, StringComparison.Ordinal);
        events.WaitForClosed(1);
        return TlsFaultTests.SocketDescriptors();
    }

    private (BaseServer Server, TlsEvents Events) Create(string transport, string family, TlsOptions options, Func<BaseRequestHandler> handlers)
    {
        if (family == "unix")
        {
            var unix = new TlsUnixStreamServer(_directory.NewSocketPath("tls"), options, handlers);
            TestTransports.Use(unix, transport);
            return (unix, unix.Events);
        }

        var tcp = new TlsTcpServer(options, handlers);
        TestTransports.Use(tcp, transport);
        return (tcp, tcp.Events);
    }
}
