using SocketServer.Tests.Infrastructure;

namespace SocketServer.Tests;

/// <summary>Loading certificates: every bad file gives a clear error naming the file and the problem.</summary>
public sealed class TlsOptionsTests
{
    private static TestCertificates Certs => TestCertificates.Shared;

    [Fact]
    public void LoadsAPemPairAndAPfx()
    {
        TlsOptions pem = TlsOptions.FromPemFiles(Certs.CertPath("server"), Certs.KeyPath("server"));
        Assert.Equal("CN=localhost", pem.Certificate!.Subject);
        Assert.True(pem.Certificate.HasPrivateKey);

        TlsOptions pfx = TlsOptions.FromPfxFile(Certs.ServerPfxPath, TestCertificates.PfxPassword);
        Assert.Equal(Certs.Server.Thumbprint, pfx.Certificate!.Thumbprint);
    }

    [Fact]
    public void LoadsACertificateAndKeyFromOneFileWithItsChain()
    {
        using var directory = new TempDirectory();
        string combined = Path.Combine(directory.Path, "combined.pem");
        File.WriteAllText(combined, string.Join('\n', File.ReadAllText(Certs.CertPath("server")), File.ReadAllText(Certs.CaPath), File.ReadAllText(Certs.KeyPath("server"))));
        TlsOptions options = TlsOptions.FromPemFiles(combined);
        Assert.Equal("CN=localhost", options.Certificate!.Subject);
        Assert.Equal("CN=SocketServer Test CA", Assert.Single(options.Intermediates).Subject);
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        string missing = Path.Combine(Certs.Directory, "nope.key");
        var error = Assert.Throws<TlsConfigurationException>(() => TlsOptions.FromPemFiles(Certs.CertPath("server"), missing));
        Assert.Equal($"Cannot read the TLS private key file {missing}: no such file.", error.Message);
        Assert.Equal(missing, error.Path);
    }

    [Fact]
    public void ACertificateWithoutItsKeyIsRefused()
    {
        var error = Assert.Throws<TlsConfigurationException>(() => TlsOptions.FromPemFiles(Certs.CertPath("server")));
        Assert.StartsWith($"The TLS certificate file {Certs.CertPath("server")} holds no private key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AKeyThatDoesNotMatchIsRefused()
    {
        var error = Assert.Throws<TlsConfigurationException>(() => TlsOptions.FromPemFiles(Certs.CertPath("server"), Certs.KeyPath("client")));
        Assert.StartsWith($"The TLS certificate {Certs.CertPath("server")} and private key {Certs.KeyPath("client")} cannot be used together", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadPemIsRefused()
    {
        using var directory = new TempDirectory();
        string bad = Path.Combine(directory.Path, "bad.crt");
        File.WriteAllText(bad, "this is not a certificate\n");
        var error = Assert.Throws<TlsConfigurationException>(() => TlsOptions.FromPemFiles(bad, Certs.KeyPath("server")));
        Assert.Equal($"The TLS certificate file {bad} holds no PEM certificate (no '-----BEGIN CERTIFICATE-----' line).", error.Message);

        string garbled = Path.Combine(directory.Path, "garbled.crt");
        File.WriteAllText(garbled, "-----BEGIN CERTIFICATE-----\nnot base64 !!!\n-----END CERTIFICATE-----\n");
        var garbledError = Assert.Throws<TlsConfigurationException>(() => TlsOptions.FromPemFiles(garbled, Certs.KeyPath("server")));
        Assert.Contains(garbled, garbledError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AWrongPfxPasswordIsNamed()
    {
        var error = Assert.Throws<TlsConfigurationException>(() => TlsOptions.FromPfxFile(Certs.ServerPfxPath, "wrong"));
        Assert.StartsWith($"The TLS PKCS#12 file {Certs.ServerPfxPath} cannot be read (it is not a PKCS#12 file, or the password is wrong)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACertificateWithoutAPrivateKeyCannotServe()
    {
        using var publicOnly = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(Certs.Server.RawData);
        var error = Assert.Throws<TlsConfigurationException>(() => new TlsOptions(publicOnly));
        Assert.Equal("The TLS certificate CN=localhost has no private key; a server needs one.", error.Message);
    }

    [Fact]
    public void ACaFileWithoutCertificatesIsRefused()
    {
        var error = Assert.Throws<TlsConfigurationException>(() => new TlsOptions().RequireClientCertificatesFrom(Certs.KeyPath("server")));
        Assert.Equal($"The TLS CA file {Certs.KeyPath("server")} holds no PEM certificate (no '-----BEGIN CERTIFICATE-----' line).", error.Message);
    }

    [Fact]
    public void TheHandshakeTimeoutMustBePositive()
    {
        var options = new TlsOptions();
        Assert.Equal(TimeSpan.FromSeconds(10), options.HandshakeTimeout);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.HandshakeTimeout = TimeSpan.Zero);
        options.HandshakeTimeout = Timeout.InfiniteTimeSpan;
        Assert.Equal(Timeout.InfiniteTimeSpan, options.HandshakeTimeout);
    }
}
