using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SocketServer.Cli.Tests.Infrastructure;

/// <summary>
/// A self-signed certificate made in-process (no openssl needed): its PEM certificate and key, a PKCS#12 file with
/// <see cref="Password"/>, and a second key that does not match the certificate.
/// </summary>
internal sealed class TlsFiles : IDisposable
{
    public const string Password = "s3cret";

    private readonly TempDirectory _directory = new();

    public TlsFiles()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateRequest request = new("CN=localhost", key, HashAlgorithmName.SHA256);
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        Certificate = Write("server.crt", certificate.ExportCertificatePem());
        Key = Write("server.key", key.ExportPkcs8PrivateKeyPem());
        Pfx = Path.Combine(_directory.Path, "server.pfx");
        File.WriteAllBytes(Pfx, certificate.Export(X509ContentType.Pkcs12, Password));
        using ECDsa other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        OtherKey = Write("other.key", other.ExportPkcs8PrivateKeyPem());
    }

    public string Directory => _directory.Path;

    public string Certificate { get; }

    public string Key { get; }

    public string Pfx { get; }

    public string OtherKey { get; }

    /// <summary>Puts the files' paths in place of <c>{cert}</c>, <c>{key}</c>, <c>{pfx}</c> and <c>{dir}</c>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="quote">Applied to each path first: Regex.Escape for a pattern.</param>
    public string Expand(string text, Func<string, string>? quote = null)
    {
        quote ??= static path => path;
        return text
            .Replace("{cert}", quote(Certificate), StringComparison.Ordinal)
            .Replace("{key}", quote(Key), StringComparison.Ordinal)
            .Replace("{pfx}", quote(Pfx), StringComparison.Ordinal)
            .Replace("{dir}", quote(Directory), StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();

    private string Write(string name, string text)
    {
        string path = Path.Combine(_directory.Path, name);
        File.WriteAllText(path, text);
        return path;
    }
}
