using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SocketServer.Internal.Tls;

/// <summary>Loads certificates and keys from PEM and PKCS#12 files, turning every failure into a message naming the file.</summary>
internal static class CertificateFiles
{
    /// <summary>The certificate (first in the file) with the key, and the file's other certificates.</summary>
    public static (X509Certificate2 Certificate, X509Certificate2Collection Others) LoadPem(string certificatePath, string? keyPath)
    {
        ArgumentNullException.ThrowIfNull(certificatePath);
        string certificateText = ReadText(certificatePath, "certificate");
        string keyText = keyPath is null ? certificateText : ReadText(keyPath, "private key");
        string keyFile = keyPath ?? certificatePath;
        if (!certificateText.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            throw Fail(certificatePath, $"The TLS certificate file {certificatePath} holds no PEM certificate (no '-----BEGIN CERTIFICATE-----' line).");
        }

        if (!keyText.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw Fail(keyFile, keyPath is null
                ? $"The TLS certificate file {certificatePath} holds no private key; give the key file too (PEM '-----BEGIN PRIVATE KEY-----')."
                : $"The TLS private key file {keyPath} holds no PEM private key (no '-----BEGIN ... PRIVATE KEY-----' line).");
        }

        if (keyText.Contains("ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw Fail(keyFile, $"The TLS private key in {keyFile} is encrypted; decrypt it (openssl pkey -in KEY -out PLAIN) or use a PKCS#12 file with a password.");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(certificateText, keyText);
        }
        catch (ArgumentException e)
        {
            // The key does not match the certificate's public key; .NET's message ends in "(Parameter 'privateKey')".
            throw Fail(keyFile, $"The TLS certificate {certificatePath} and private key {keyFile} cannot be used together: the key is not the certificate's (their public keys differ); give the private key the certificate was made for.", e);
        }
        catch (CryptographicException e)
        {
            throw Fail(keyFile, $"The TLS certificate {certificatePath} and private key {keyFile} cannot be used together: {e.Message}", e);
        }

        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPem(certificateText);
        }
        catch (CryptographicException e)
        {
            certificate.Dispose();
            throw Fail(certificatePath, $"The TLS certificate file {certificatePath} is not valid PEM: {e.Message}", e);
        }

        var rest = new X509Certificate2Collection();
        foreach (X509Certificate2 other in all.Skip(1))
        {
            rest.Add(other);
        }

        all[0].Dispose();
        return (certificate, rest);
    }

    /// <summary>The certificate with a private key from a PKCS#12 file, and the file's other certificates.</summary>
    public static (X509Certificate2 Certificate, X509Certificate2Collection Others) LoadPfx(string path, string? password)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] data = ReadBytes(path, "PKCS#12");
        X509Certificate2Collection all;
        try
        {
            all = X509CertificateLoader.LoadPkcs12Collection(data, password);
        }
        catch (CryptographicException e)
        {
            string why = password is null
                ? "it is not a PKCS#12 file, or it needs a password"
                : "it is not a PKCS#12 file, or the password is wrong";
            throw Fail(path, $"The TLS PKCS#12 file {path} cannot be read ({why}): {e.Message}", e);
        }

        X509Certificate2? withKey = all.FirstOrDefault(static c => c.HasPrivateKey);
        if (withKey is null)
        {
            foreach (X509Certificate2 c in all)
            {
                c.Dispose();
            }

            throw Fail(path, $"The TLS PKCS#12 file {path} holds no certificate with a private key.");
        }

        var rest = new X509Certificate2Collection();
        foreach (X509Certificate2 other in all.Where(c => !ReferenceEquals(c, withKey)))
        {
            rest.Add(other);
        }

        return (withKey, rest);
    }

    /// <summary>Every certificate in a PEM file of CA certificates.</summary>
    public static X509Certificate2Collection LoadAuthorities(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text = ReadText(path, "CA");
        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPem(text);
        }
        catch (CryptographicException e)
        {
            throw Fail(path, $"The TLS CA file {path} is not valid PEM: {e.Message}", e);
        }

        if (all.Count == 0)
        {
            throw Fail(path, $"The TLS CA file {path} holds no PEM certificate (no '-----BEGIN CERTIFICATE-----' line).");
        }

        return all;
    }

    private static string ReadText(string path, string what)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Fail(path, $"Cannot read the TLS {what} file {path}: {Describe(e)}", e);
        }
    }

    private static byte[] ReadBytes(string path, string what)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Fail(path, $"Cannot read the TLS {what} file {path}: {Describe(e)}", e);
        }
    }

    private static string Describe(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file.",
        UnauthorizedAccessException => "permission denied.",
        _ => e.Message,
    };

    private static TlsConfigurationException Fail(string path, string message, Exception? inner = null) => new(path, message, inner);
}
