using System.Net.Sockets;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>
/// Bad TLS peers (reliability.md §7 row 13): garbage, plaintext and silence on the TLS port cost only their own
/// connection, are reported naming the client, and leave no descriptor or thread behind. These count descriptors,
/// so they run alone.
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class TlsFaultTests
{
    private static TlsOptions ServerOptions(TimeSpan? handshakeTimeout = null)
    {
        TlsOptions options = TlsOptions.FromPemFiles(TestCertificates.Shared.CertPath("server"), TestCertificates.Shared.KeyPath("server"));
        if (handshakeTimeout is { } timeout)
        {
            options.HandshakeTimeout = timeout;
        }

        return options;
    }

    [Theory]
    [InlineData("zeros")]
    [InlineData("http")]
    [InlineData("random")]
    public void GarbageInsteadOfAHandshakeClosesOnlyThatConnection(string garbage)
    {
        FileDescriptors.SkipUnlessCountable();
        using var server = new TlsThreadingTcpServer(ServerOptions());
        using (var runner = new ServerRunner(server))
        {
            int before = WarmUp(server);
            using (Socket bad = Clients.ConnectStream(server.ServerAddress))
            {
                bad.Send(garbage switch
                {
                    "zeros" => new byte[10],
                    "http" => "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray(),
                    _ => System.Security.Cryptography.RandomNumberGenerator.GetBytes(512),
                });

                // The server closes the bad connection: the client reads the end (or a reset), never a reply.
                AssertClosedByServer(bad);
                var error = Assert.IsType<TlsHandshakeException>(server.Events.WaitForError());
                Assert.StartsWith($"TLS handshake with {bad.LocalEndPoint} failed:", error.Message, StringComparison.Ordinal);
                Assert.False(error.TimedOut);
            }

            PeerRun good = TlsPeers.Python(server.ServerAddress, "good client");
            Assert.Contains("echo: good client", good.Stdout, StringComparison.Ordinal);
            server.Events.WaitForClosed(2);
            Assert.True(SocketDescriptors() <= before, $"sockets before: {before}, now: {SocketDescriptors()}");
            runner.Stop();
        }

        Assert.Single(server.Events.Errors);
        Assert.Equal(0, server.TrackedThreadCount);
    }

    [Fact]
    public void ASilentClientIsCutOffAtTheHandshakeDeadlineWhileOthersAreServed()
    {
        FileDescriptors.SkipUnlessCountable();
        using var server = new TlsThreadingTcpServer(ServerOptions(TimeSpan.FromMilliseconds(300)));
        using (var runner = new ServerRunner(server))
        {
            int before = WarmUp(server);
            using (Socket silent = Clients.ConnectStream(server.ServerAddress))
            {
                // Served while the silent one waits: it is its own connection, on its own thread.
                PeerRun good = TlsPeers.Python(server.ServerAddress, "meanwhile");
                Assert.Contains("echo: meanwhile", good.Stdout, StringComparison.Ordinal);

                AssertClosedByServer(silent);
                var error = Assert.IsType<TlsHandshakeException>(server.Events.WaitForError());
                Assert.True(error.TimedOut, error.Message);
                Assert.Equal($"TLS handshake with {silent.LocalEndPoint} timed out after 0.3 s (HandshakeTimeout).", error.Message);
            }
            server.Events.WaitForClosed(2);
            Assert.True(SocketDescriptors() <= before, $"sockets before: {before}, now: {SocketDescriptors()}");
            runner.Stop();
        }

        Assert.Single(server.Events.Errors);
        Assert.Equal(0, server.TrackedThreadCount);
    }

    [Fact]
    public void AClientThatGoesAwayMidHandshakeIsReported()
    {
        FileDescriptors.SkipUnlessCountable();
        using var server = new TlsTcpServer(ServerOptions());
        using (var runner = new ServerRunner(server))
        {
            int before = WarmUp(server);
            using (Socket bad = Clients.ConnectStream(server.ServerAddress))
            {
                // The first bytes of a TLS record header, then a reset.
                bad.Send([0x16, 0x03, 0x01]);
                bad.LingerState = new LingerOption(true, 0);
            }

            Assert.IsType<TlsHandshakeException>(server.Events.WaitForError());
            server.Events.WaitForClosed(1);
            PeerRun good = TlsPeers.Python(server.ServerAddress, "next");
            Assert.Contains("echo: next", good.Stdout, StringComparison.Ordinal);
            server.Events.WaitForClosed(1);
            Assert.True(SocketDescriptors() <= before, $"sockets before: {before}, now: {SocketDescriptors()}");
            runner.Stop();
        }
    }

    /// <summary>
    /// Serves one good TLS client first, so that what is opened once per process (OpenSSL, the certificate context,
    /// the child-process machinery) is counted in the baseline; returns the descriptor count after it.
    /// </summary>
    private static int WarmUp<TServer>(TServer server)
        where TServer : BaseServer
    {
        PeerRun warm = TlsPeers.Python(server.ServerAddress, "warm up");
        Assert.Contains("echo: warm up", warm.Stdout, StringComparison.Ordinal);
        TlsEvents events = server switch
        {
            TlsThreadingTcpServer threading => threading.Events,
            TlsTcpServer sync => sync.Events,
            _ => throw new ArgumentException("not a TLS test server", nameof(server)),
        };
        events.WaitForClosed(1);
        return SocketDescriptors();
    }

    /// <summary>
    /// The process's open sockets: what a leaked connection would hold. Other descriptors come and go with lazily
    /// loaded assemblies and the peers' pipes, and say nothing about the server.
    /// </summary>
    internal static int SocketDescriptors() =>
        Directory.GetFiles("/proc/self/fd").Count(static fd =>
        {
            try
            {
                return new FileInfo(fd).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true;
            }
            catch (IOException)
            {
                return false;
            }
        });

    internal static void AssertClosedByServer(Socket socket)
    {
        byte[] buffer = new byte[4096];
        try
        {
            // A TLS alert may come first; the server never sends application data here.
            int total = 0;
            int n;
            while ((n = socket.Receive(buffer)) > 0)
            {
                total += n;
                Assert.InRange(total, 0, 64);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }
    }
}
