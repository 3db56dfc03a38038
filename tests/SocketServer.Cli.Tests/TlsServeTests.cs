using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// <c>serve --tls-cert/--tls-key/--tls-client-ca</c>: certificates made by <c>openssl req</c>, clients driven by
/// <c>openssl s_client</c> and python3's ssl module, in every mode (forking workers do the handshake themselves).
/// </summary>
public sealed class TlsServeTests
{
    [Theory]
    [InlineData("sync")]
    [InlineData("threading")]
    [InlineData("forking")]
    [InlineData("async")]
    public void ServesTcpAndUnixOverTlsWithAPemPair(string mode)
    {
        string openssl = Tools.Require("openssl");
        using var directory = new TempDirectory();
        var pki = OpenSslPki.Create(openssl, directory);
        string unixPath = directory.NewPath("tls");
        using CliProcess cli = CliProcess.Start(
            "serve", "echo", "--tcp", "127.0.0.1:0", "--unix", unixPath, "--udp", "127.0.0.1:0",
            "--tls-cert", pki.ServerCert, "--tls-key", pki.ServerKey, "--mode", mode);

        IReadOnlyList<ReadyAddress> addresses = cli.WaitUntilListening(3);
        // The documented order: --tcp, then --udp (plaintext: TLS is for streams), then --unix.
        Assert.Equal(["tls", "udp", "unix+tls"], addresses.Select(a => a.Scheme));
        Assert.Equal(unixPath, addresses[2].Path);

        string tcpMessage = $"over tls ({mode})\n";
        Assert.Contains(tcpMessage, SClient(openssl, ["-connect", $"127.0.0.1:{addresses[0].Port}"], tcpMessage), StringComparison.Ordinal);
        string unixMessage = $"over unix+tls ({mode})\n";
        Assert.Contains(unixMessage, SClient(openssl, ["-unix", unixPath], unixMessage), StringComparison.Ordinal);

        Assert.Equal(0, cli.Stop());
        Assert.Equal("", cli.Process.Stderr);
    }

    [Fact]
    public void ServesWithAPkcs12CertificateAndPassword()
    {
        string openssl = Tools.Require("openssl");
        using var directory = new TempDirectory();
        var pki = OpenSslPki.Create(openssl, directory);
        using CliProcess cli = CliProcess.Start(
            "serve", "echo", "--tcp", "127.0.0.1:0", "--tls-cert", pki.ServerPfx, "--tls-password", OpenSslPki.Password, "--mode", "threading");
        ReadyAddress address = Assert.Single(cli.WaitUntilListening(1));
        Assert.Equal("tls", address.Scheme);
        Assert.Contains("pfx\n", SClient(openssl, ["-connect", $"127.0.0.1:{address.Port}", "-tls1_2"], "pfx\n"), StringComparison.Ordinal);
        Assert.Equal(0, cli.Stop());
    }

    [Fact]
    public void RequiresClientCertificatesFromTheClientCa()
    {
        string openssl = Tools.Require("openssl");
        string python = Tools.Require("python3");
        using var directory = new TempDirectory();
        var pki = OpenSslPki.Create(openssl, directory);
        using CliProcess cli = CliProcess.Start(
            "serve", "echo", "--tcp", "127.0.0.1:0", "--tls-cert", pki.ServerCert, "--tls-key", pki.ServerKey,
            "--tls-client-ca", pki.CaCert, "--mode", "threading");
        ReadyAddress address = Assert.Single(cli.WaitUntilListening(1));

        string reply = SClient(openssl, ["-connect", $"127.0.0.1:{address.Port}", "-cert", pki.ClientCert, "-key", pki.ClientKey], "with a certificate\n");
        Assert.Contains("with a certificate\n", reply, StringComparison.Ordinal);

        // Without a certificate the server refuses; the client sees the connection end without an echo.
        ToolRun refused = ToolRun.Run(python, [Path.Combine(AppContext.BaseDirectory, "peers", "tls_client.py"), "--port", $"{address.Port}", "--line", "anonymous"]);
        Assert.DoesNotContain("anonymous", refused.Stdout, StringComparison.Ordinal);
        cli.Process.WaitForStderr(static e => e.Contains("TLS handshake with 127.0.0.1:", StringComparison.Ordinal));

        Assert.Equal(0, cli.Stop());
    }

    [Fact]
    public void AMissingKeyFileExitsWithCode2AndOneLineNamingIt()
    {
        string openssl = Tools.Require("openssl");
        using var directory = new TempDirectory();
        var pki = OpenSslPki.Create(openssl, directory);
        string missing = Path.Combine(directory.Path, "missing.key");
        ToolRun run = CliProcess.Run("serve", "echo", "--tcp", "127.0.0.1:0", "--tls-cert", pki.ServerCert, "--tls-key", missing);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.Equal($"socketserver: Cannot read the TLS private key file {missing}: no such file.\n", run.Stderr);
    }

    [Fact]
    public void AWrongPkcs12PasswordExitsWithCode2()
    {
        string openssl = Tools.Require("openssl");
        using var directory = new TempDirectory();
        var pki = OpenSslPki.Create(openssl, directory);
        ToolRun run = CliProcess.Run("serve", "echo", "--tls-cert", pki.ServerPfx, "--tls-password", "wrong");
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"socketserver: The TLS PKCS#12 file {pki.ServerPfx} cannot be read (it is not a PKCS#12 file, or the password is wrong)", run.Stderr, StringComparison.Ordinal);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void TlsWithOnlyDatagramListenersExitsWithCode2()
    {
        string openssl = Tools.Require("openssl");
        using var directory = new TempDirectory();
        var pki = OpenSslPki.Create(openssl, directory);
        ToolRun run = CliProcess.Run("serve", "echo", "--udp", "127.0.0.1:0", "--tls-cert", pki.ServerCert, "--tls-key", pki.ServerKey);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("socketserver: TLS (--tls-cert) needs a stream listener (--tcp or --unix); UDP and Unix datagram listeners cannot use it.\n", run.Stderr);
    }

    [Fact]
    public void ATlsKeyWithoutACertificateExitsWithCode2()
    {
        ToolRun run = CliProcess.Run("serve", "echo", "--tls-key", "/nonexistent.key");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("socketserver: --tls-key, --tls-password and --tls-client-ca need --tls-cert.\n", run.Stderr);
    }

    // -brief: no session dump on stdout, and (unlike -quiet) s_client ends when its input does.
    private static string SClient(string openssl, string[] connect, string message) =>
        PeerExchange.Run(openssl, ["s_client", .. connect, "-brief"], message, message, datagram: false);
}
