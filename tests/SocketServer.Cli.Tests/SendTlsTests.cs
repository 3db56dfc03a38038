using SocketServer.Cli.Tests.Infrastructure;

namespace SocketServer.Cli.Tests;

/// <summary>
/// <c>send</c> over TLS to <c>serve --tls-cert</c>: the server's certificate checked against <c>--tls-ca</c> (chain and
/// name), refused without it with one line saying what to do, skipped with <c>--tls-insecure</c>, which says so.
/// </summary>
public sealed class SendTlsTests
{
    [Theory]
    [InlineData("threading")]
    [InlineData("async")]
    public void SendsOverTlsOnTcpAndUnixCheckingTheCertificateAgainstTheCa(string mode)
    {
        using var pki = new TestPki();
        using var directory = new TempDirectory();
        string unixPath = directory.NewPath("tls");
        using CliProcess server = CliProcess.Start(
            "serve", "echo", "--tcp", "127.0.0.1:0", "--unix", unixPath, "--tls-cert", pki.ServerCert, "--tls-key", pki.ServerKey, "--mode", mode);
        IReadOnlyList<ReadyAddress> addresses = server.WaitUntilListening(2);
        string port = addresses[0].Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // The ready lines' addresses as they are, and the plain schemes with --tls.
        string[][] variants = [[addresses[0].Uri], ["tcp://127.0.0.1:" + port, "--tls"], ["tls://localhost:" + port], [addresses[1].Uri], ["unix:" + unixPath, "--tls"]];
        foreach (string[] address in variants)
        {
            ToolRun run = CliProcess.Run(["send", .. address, "--tls-ca", pki.CaCert, "over tls", "and back"]);

            Assert.True(run.ExitCode == 0, $"{string.Join(' ', address)}: exit {run.ExitCode}: {run.Stderr}");
            Assert.Equal("over tls\nand back\n", run.Stdout);
            Assert.Equal("", run.Stderr);
        }

        Assert.Equal(0, server.Stop());
    }

    [Fact]
    public void GetsATimestampOverTls()
    {
        using var pki = new TestPki();
        using CliProcess server = CliProcess.Start("serve", "timestamp", "--tcp", "127.0.0.1:0", "--tls-cert", pki.ServerCert, "--tls-key", pki.ServerKey, "--mode", "sync");
        ReadyAddress address = Assert.Single(server.WaitUntilListening());

        ToolRun run = CliProcess.Run("send", address.Uri, "--tls-ca", pki.CaCert, "hello");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Matches(TimestampFormat.Reply + "\n$", run.Stdout);
        Assert.Equal(0, server.Stop());
    }

    [Fact]
    public void ACertificateNoTrustedCaIssuedIsRefusedWithExitCodeTwo()
    {
        using var pki = new TestPki();
        using CliProcess server = CliProcess.Start("serve", "echo", "--tcp", "127.0.0.1:0", "--tls-cert", pki.ServerCert, "--tls-key", pki.ServerKey, "--mode", "threading");
        ReadyAddress address = Assert.Single(server.WaitUntilListening());

        // The test CA is in no trust store of the system's.
        ToolRun run = CliProcess.Run("send", address.Uri, "hello");

        Assert.Equal(ExitCodes.Address, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.Matches(
            $@"^socketserver: TLS with {System.Text.RegularExpressions.Regex.Escape(address.Uri)} failed: the server's certificate is not trusted \([A-Za-z, ]+\); give --tls-ca FILE with the CA that issued it, or --tls-insecure to skip the check\.\n$",
            run.Stderr);
        Assert.Equal(0, server.Stop());
    }

    [Fact]
    public void ACertificateForAnotherNameIsRefusedWithExitCodeTwo()
    {
        using var pki = new TestPki();
        // 127.0.0.2 is a loopback address the certificate does not name.
        using CliProcess server = CliProcess.Start("serve", "echo", "--tcp", "127.0.0.2:0", "--tls-cert", pki.ServerCert, "--tls-key", pki.ServerKey, "--mode", "threading");
        ReadyAddress address = Assert.Single(server.WaitUntilListening());

        ToolRun run = CliProcess.Run("send", address.Uri, "--tls-ca", pki.CaCert, "hello");

        Assert.Equal(ExitCodes.Address, run.ExitCode);
        Assert.Equal($"socketserver: TLS with {address.Uri} failed: the server's certificate is not issued for '127.0.0.2'; use a name or address it names, or --tls-insecure to skip the check.\n", run.Stderr);
        Assert.Equal(0, server.Stop());
    }

    [Fact]
    public void TlsInsecureSkipsTheCheckAndSaysSo()
    {
        using var pki = new TestPki();
        using CliProcess server = CliProcess.Start("serve", "echo", "--tcp", "127.0.0.1:0", "--tls-cert", pki.ServerCert, "--tls-key", pki.ServerKey, "--mode", "threading");
        ReadyAddress address = Assert.Single(server.WaitUntilListening());

        ToolRun run = CliProcess.Run("send", address.Uri, "--tls-insecure", "unchecked");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("unchecked\n", run.Stdout);
        Assert.Equal($"socketserver: --tls-insecure: the certificate of {address.Uri} is not checked; anyone on the way can read and change what is sent.\n", run.Stderr);
        Assert.Equal(0, server.Stop());
    }

    [Fact]
    public void TlsToAPlaintextServerFailsWithExitCodeTwo()
    {
        using CliProcess server = CliProcess.Start("serve", "echo", "--tcp", "127.0.0.1:0", "--mode", "threading");
        ReadyAddress address = Assert.Single(server.WaitUntilListening());

        // The plaintext echo server sends the ClientHello back, which is no answer a TLS client can take.
        ToolRun run = CliProcess.Run("send", address.Uri, "--tls", "--tls-insecure", "hello");

        Assert.Equal(ExitCodes.Address, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.Matches(
            $@"^socketserver: --tls-insecure: [^\n]+\nsocketserver: TLS with {System.Text.RegularExpressions.Regex.Escape(address.Uri)} failed: the TLS handshake failed: [^\n]+ \(is it a TLS server\?\)\.\n$",
            run.Stderr);
        Assert.Equal(0, server.Stop());
    }
}
