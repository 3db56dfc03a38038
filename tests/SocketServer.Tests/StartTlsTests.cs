using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>STARTTLS: a plaintext conversation upgraded to TLS from inside the handler.</summary>
public sealed class StartTlsTests
{
    private static TlsOptions ServerOptions() =>
        TlsOptions.FromPemFiles(TestCertificates.Shared.CertPath("server"), TestCertificates.Shared.KeyPath("server"));

    [Fact]
    public void UpgradesAPlaintextConnection()
    {
        using var server = new TlsTcpServer(ServerOptions(), static () => new StartTlsHandler()) { TlsOnAccept = false };
        using var runner = new ServerRunner(server);
        PeerRun run = TlsPeers.Python(server.ServerAddress, "secret line", "--starttls");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("250 hello\n220 ready for TLS\necho: secret line\ntls=True protocol=Tls13 alpn=- sni=- client=-\n", run.Stdout);
        Assert.Empty(server.Events.Errors);
    }

    [Fact]
    public void UpgradesWithAnUnbufferedReader()
    {
        // RBufSize 0 reads byte by byte, so nothing is ever read ahead of the command.
        using var server = new TlsTcpServer(ServerOptions(), static () => new StartTlsHandler { RBufSize = 0 }) { TlsOnAccept = false };
        using var runner = new ServerRunner(server);
        PeerRun run = TlsPeers.Python(server.ServerAddress, "unbuffered", "--starttls");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("echo: unbuffered\n", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesPlaintextInjectedAfterTheCommand()
    {
        using var server = new TlsTcpServer(ServerOptions(), static () => new StartTlsHandler()) { TlsOnAccept = false };
        using var runner = new ServerRunner(server);
        PeerRun run = TlsPeers.Python(server.ServerAddress, "never sent", "--inject");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("echo:", run.Stdout, StringComparison.Ordinal);

        var error = Assert.IsType<InvalidOperationException>(server.Events.WaitForError());
        Assert.StartsWith("StartTls refused: the client 127.0.0.1:", error.Message, StringComparison.Ordinal);
        Assert.Contains("sent 9 more plaintext byte(s) after the command", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StartTlsWithoutOptionsIsAClearError()
    {
        using var server = new TlsTcpServer(ServerOptions(), static () => new StartTlsHandler()) { TlsOnAccept = false };
        server.Tls = null;
        using var runner = new ServerRunner(server);
        PeerRun run = TlsPeers.Python(server.ServerAddress, "x", "--starttls");
        Assert.NotEqual(0, run.ExitCode);
        var error = Assert.IsType<InvalidOperationException>(server.Events.WaitForError());
        Assert.Equal("StartTls needs TLS options: pass them, or set the server's Tls property.", error.Message);
    }
}
