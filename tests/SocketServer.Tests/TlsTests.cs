using System.Net.Security;
using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>TLS on stream servers, driven by real clients: openssl s_client and python3's ssl module.</summary>
public sealed class TlsTests
{
    private static TestCertificates Certs => TestCertificates.Shared;

    private static TlsOptions ServerOptions() => TlsOptions.FromPemFiles(Certs.CertPath("server"), Certs.KeyPath("server"));

    [Fact]
    public void EchoesOverTls13WithOpenSsl()
    {
        using var server = new TlsTcpServer(ServerOptions());
        using var runner = new ServerRunner(server);
        PeerRun run = TlsPeers.OpenSsl(server.ServerAddress, "over tls 1.3\n", "-tls1_3");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("echo: over tls 1.3\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("tls=True protocol=Tls13", run.Stdout, StringComparison.Ordinal);
        Assert.Empty(server.Events.Errors);
    }

    [Fact]
    public void EchoesOverTls12ForcedByOpenSsl()
    {
        using var server = new TlsTcpServer(ServerOptions());
        using var runner = new ServerRunner(server);
        PeerRun run = TlsPeers.OpenSsl(server.ServerAddress, "over tls 1.2\n", "-tls1_2");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("echo: over tls 1.2\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("protocol=Tls12", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void EchoesToPythonWithAPfxCertificate()
    {
        using var server = new TlsTcpServer(TlsOptions.FromPfxFile(Certs.ServerPfxPath, TestCertificates.PfxPassword));
        using var runner = new ServerRunner(server);
        PeerRun run = TlsPeers.Python(server.ServerAddress, "from python");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("echo: from python\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("version=TLSv1.3", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesTls11()
    {
        // TLS 1.0 is not tested: this OpenSSL build will not even offer it, so the server would never see it.
        const string version = "1.1";
        using var server = new TlsTcpServer(ServerOptions());
        using var runner = new ServerRunner(server);
        PeerRun run = TlsPeers.Python(server.ServerAddress, "old", "--max-version", version, "--min-version", version);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.DoesNotContain("echo:", run.Stdout, StringComparison.Ordinal);

        // The server saw the hello and refused it: the client did offer the old protocol.
        var error = Assert.IsType<TlsHandshakeException>(server.Events.WaitForError());
        Assert.StartsWith("TLS handshake with 127.0.0.1:", error.Message, StringComparison.Ordinal);
        Assert.Contains("unsupported protocol", error.Message, StringComparison.Ordinal);

        PeerRun good = TlsPeers.Python(server.ServerAddress, "still served");
        Assert.Contains("echo: still served", good.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void TheHandlerSeesTheProtocolAlpnChose()
    {
        TlsOptions options = ServerOptions();
        options.ApplicationProtocols.Add(new SslApplicationProtocol("echo/2"));
        options.ApplicationProtocols.Add(new SslApplicationProtocol("echo/1"));
        using var server = new TlsTcpServer(options);
        using var runner = new ServerRunner(server);

        PeerRun openssl = TlsPeers.OpenSsl(server.ServerAddress, "alpn\n", "-alpn", "echo/1");
        Assert.True(openssl.ExitCode == 0, openssl.ToString());
        Assert.Contains("alpn=echo/1", openssl.Stdout, StringComparison.Ordinal);

        PeerRun python = TlsPeers.Python(server.ServerAddress, "alpn", "--alpn", "other,echo/2");
        Assert.Contains("alpn=echo/2", python.Stdout, StringComparison.Ordinal);

        PeerRun none = TlsPeers.Python(server.ServerAddress, "no alpn");
        Assert.Contains("alpn=-", none.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void SniPicksTheCertificateByHostName()
    {
        TlsOptions options = ServerOptions();
        options.CertificateSelector = host => host switch
        {
            "alpha.test" => Certs.Alpha,
            "beta.test" => Certs.Beta,
            _ => null,
        };
        using var server = new TlsTcpServer(options);
        using var runner = new ServerRunner(server);

        PeerRun alpha = TlsPeers.OpenSsl(server.ServerAddress, "a\n", "-servername", "alpha.test");
        Assert.True(alpha.ExitCode == 0, alpha.ToString());
        Assert.Contains("CN = alpha.test", alpha.Stderr, StringComparison.Ordinal);
        Assert.Contains("sni=alpha.test", alpha.Stdout, StringComparison.Ordinal);

        PeerRun beta = TlsPeers.OpenSsl(server.ServerAddress, "b\n", "-servername", "beta.test");
        Assert.Contains("CN = beta.test", beta.Stderr, StringComparison.Ordinal);
        Assert.Contains("sni=beta.test", beta.Stdout, StringComparison.Ordinal);

        PeerRun other = TlsPeers.OpenSsl(server.ServerAddress, "c\n", "-noservername");
        Assert.Contains("CN = localhost", other.Stderr, StringComparison.Ordinal);
        Assert.Contains("sni=-", other.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void RequiredClientCertificatesMustChainToTheCa()
    {
        TlsOptions options = ServerOptions().RequireClientCertificatesFrom(Certs.CaPath);
        using var server = new TlsTcpServer(options);
        using var runner = new ServerRunner(server);

        PeerRun signed = TlsPeers.Python(server.ServerAddress, "signed", "--cert", Certs.CertPath("client"), "--key", Certs.KeyPath("client"));
        Assert.True(signed.ExitCode == 0, signed.ToString());
        Assert.Contains("client=test client", signed.Stdout, StringComparison.Ordinal);

        // In TLS 1.3 the client finishes its side before the server judges its certificate: the refusal shows
        // as an alert or a close, never as an echo.
        PeerRun without = TlsPeers.Python(server.ServerAddress, "anonymous");
        Assert.DoesNotContain("echo:", without.Stdout, StringComparison.Ordinal);
        Assert.IsType<TlsHandshakeException>(server.Events.WaitForError());

        PeerRun rogue = TlsPeers.Python(server.ServerAddress, "rogue", "--cert", Certs.CertPath("rogue"), "--key", Certs.KeyPath("rogue"));
        Assert.DoesNotContain("echo:", rogue.Stdout, StringComparison.Ordinal);
        Assert.IsType<TlsHandshakeException>(server.Events.WaitForError());

        PeerRun openssl = TlsPeers.OpenSsl(server.ServerAddress, "openssl\n", "-cert", Certs.CertPath("client"), "-key", Certs.KeyPath("client"));
        Assert.True(openssl.ExitCode == 0, openssl.ToString());
        Assert.Contains("client=test client", openssl.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionalClientCertificatesLetAnonymousClientsIn()
    {
        TlsOptions options = ServerOptions();
        options.ClientCertificateMode = ClientCertificateMode.Optional;
        options.ClientCertificateAuthorities.Add(Certs.Ca);
        using var server = new TlsTcpServer(options);
        using var runner = new ServerRunner(server);

        PeerRun anonymous = TlsPeers.Python(server.ServerAddress, "anonymous");
        Assert.True(anonymous.ExitCode == 0, anonymous.ToString());
        Assert.Contains("client=-", anonymous.Stdout, StringComparison.Ordinal);

        PeerRun signed = TlsPeers.Python(server.ServerAddress, "signed", "--cert", Certs.CertPath("client"), "--key", Certs.KeyPath("client"));
        Assert.Contains("client=test client", signed.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void AValidatorHasTheLastWordOnClientCertificates()
    {
        string? seen = null;
        TlsOptions options = ServerOptions();
        options.ClientCertificateMode = ClientCertificateMode.Required;
        options.ClientCertificateValidator = (certificate, _, _) =>
        {
            seen = certificate.Subject;
            return certificate.Thumbprint == Certs.SelfSignedClient.Thumbprint;
        };
        using var server = new TlsTcpServer(options);
        using var runner = new ServerRunner(server);

        PeerRun pinned = TlsPeers.Python(server.ServerAddress, "pinned", "--cert", Certs.CertPath("rogue"), "--key", Certs.KeyPath("rogue"));
        Assert.True(pinned.ExitCode == 0, pinned.ToString());
        Assert.Contains("client=rogue client", pinned.Stdout, StringComparison.Ordinal);
        Assert.Equal("CN=rogue client", seen);

        PeerRun other = TlsPeers.Python(server.ServerAddress, "other", "--cert", Certs.CertPath("client"), "--key", Certs.KeyPath("client"));
        Assert.DoesNotContain("echo:", other.Stdout, StringComparison.Ordinal);
        Assert.IsType<TlsHandshakeException>(server.Events.WaitForError());
    }

    [Fact]
    public void ServesTlsOnAUnixSocket()
    {
        using var directory = new TempDirectory();
        string path = directory.NewSocketPath("tls");
        using var server = new TlsUnixStreamServer(path, ServerOptions());
        using var runner = new ServerRunner(server);

        PeerRun python = TlsPeers.Python(server.ServerAddress, "over unix");
        Assert.True(python.ExitCode == 0, python.ToString());
        Assert.Contains("echo: over unix\n", python.Stdout, StringComparison.Ordinal);
        Assert.Contains("tls=True protocol=Tls13", python.Stdout, StringComparison.Ordinal);

        PeerRun openssl = TlsPeers.OpenSsl(server.ServerAddress, "openssl over unix\n");
        Assert.True(openssl.ExitCode == 0, openssl.ToString());
        Assert.Contains("echo: openssl over unix\n", openssl.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ServesTlsClientsSideBySideInThreadingMode()
    {
        using var server = new TlsThreadingTcpServer(ServerOptions());
        using var runner = new ServerRunner(server);
        PeerRun[] runs = Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() => TlsPeers.Python(server.ServerAddress, $"client {i}"))))
            .WaitAsync(TestTimeouts.Long).GetAwaiter().GetResult();
        for (int i = 0; i < runs.Length; i++)
        {
            Assert.Contains($"echo: client {i}\n", runs[i].Stdout, StringComparison.Ordinal);
        }

        Assert.Empty(server.Events.Errors);
    }

    [Fact]
    public void DatagramServersRefuseTls()
    {
        using var server = new UdpServer(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0), static () => new DatagramRequestHandler());
        var error = Assert.Throws<InvalidOperationException>(() => server.Tls = ServerOptions());
        Assert.Contains("datagram server", error.Message, StringComparison.Ordinal);
        Assert.Null(server.Tls);
    }
}
