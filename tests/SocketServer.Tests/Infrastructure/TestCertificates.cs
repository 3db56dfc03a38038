using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SocketServer.Tests.Infrastructure;

/// <summary>
/// A throw-away PKI made with .NET's CertificateRequest and written as PEM and PKCS#12 files: a CA, server
/// certificates for localhost, alpha.test and beta.test, a client certificate the CA signed and a self-signed one.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    public const string PfxPassword = "s3cret";

    private static readonly Lazy<TestCertificates> s_shared = new(() => new TestCertificates());

    private readonly TempDirectory _directory = new();

    private TestCertificates()
    {
        using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=SocketServer Test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        Ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        CaPath = WriteCertificate("ca", Ca);

        Server = Issue("localhost", serverAuth: true, "server");
        Alpha = Issue("alpha.test", serverAuth: true, "alpha");
        Beta = Issue("beta.test", serverAuth: true, "beta");
        Client = Issue("test client", serverAuth: false, "client");
        SelfSignedClient = SelfSigned("rogue client", "rogue");
        ServerPfxPath = Path.Combine(_directory.Path, "server.pfx");
        File.WriteAllBytes(ServerPfxPath, Server.Export(X509ContentType.Pkcs12, PfxPassword));
    }

    public static TestCertificates Shared => s_shared.Value;

    public X509Certificate2 Ca { get; }

    public string CaPath { get; }

    public X509Certificate2 Server { get; }

    public X509Certificate2 Alpha { get; }

    public X509Certificate2 Beta { get; }

    public X509Certificate2 Client { get; }

    public X509Certificate2 SelfSignedClient { get; }

    public string ServerPfxPath { get; }

    public string Directory => _directory.Path;

    public string CertPath(string name) => Path.Combine(_directory.Path, name + ".crt");

    public string KeyPath(string name) => Path.Combine(_directory.Path, name + ".key");

    public void Dispose() => _directory.Dispose();

    private X509Certificate2 Issue(string commonName, bool serverAuth, string fileName)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateRequest request = LeafRequest(commonName, key, serverAuth);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
        byte[] serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using X509Certificate2 publicOnly = request.Create(Ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7), serial);
        X509Certificate2 certificate = publicOnly.CopyWithPrivateKey(key);
        WriteCertificate(fileName, certificate);
        File.WriteAllText(KeyPath(fileName), key.ExportPkcs8PrivateKeyPem());
        return certificate;
    }

    private X509Certificate2 SelfSigned(string commonName, string fileName)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        X509Certificate2 certificate = LeafRequest(commonName, key, serverAuth: false)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        WriteCertificate(fileName, certificate);
        File.WriteAllText(KeyPath(fileName), key.ExportPkcs8PrivateKeyPem());
        return certificate;
    }

    private static CertificateRequest LeafRequest(string commonName, ECDsa key, bool serverAuth)
    {
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName(commonName);
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        return request;
    }

    private string WriteCertificate(string fileName, X509Certificate2 certificate)
    {
        string path = CertPath(fileName);
        File.WriteAllText(path, certificate.ExportCertificatePem());
        return path;
    }
}
