using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>
/// A throw-away CA and a server certificate it issued, made in-process, as PEM files: the server's names are
/// <c>localhost</c>, <c>127.0.0.1</c> and <c>::1</c>, so a client that checks names accepts those and nothing else.
/// </summary>
internal sealed class TestPki : IDisposable
{
    private readonly TempDirectory _directory = new();

    public TestPki()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateRequest caRequest = new("CN=send test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, critical: false));
        using X509Certificate2 ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(2));

        using ECDsa serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateRequest serverRequest = new("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        byte[] serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        using X509Certificate2 server = serverRequest.Create(ca, now.AddDays(-1), now.AddDays(1), serial);

        CaCert = Write("ca.crt", ca.ExportCertificatePem());
        ServerCert = Write("server.crt", server.ExportCertificatePem());
        ServerKey = Write("server.key", serverKey.ExportPkcs8PrivateKeyPem());
    }

    public string CaCert { get; }

    public string ServerCert { get; }

    public string ServerKey { get; }

    public void Dispose() => _directory.Dispose();

    private string Write(string name, string text)
    {
        string path = Path.Combine(_directory.Path, name);
        File.WriteAllText(path, text);
        return path;
    }
}
