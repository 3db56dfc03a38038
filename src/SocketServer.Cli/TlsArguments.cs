namespace SocketServer.Cli;

/// <summary>
/// The <c>--tls-*</c> options of <c>serve</c>, turned into the library's <see cref="TlsOptions"/>: a PEM pair
/// (<c>--tls-cert</c> and <c>--tls-key</c>) or a PKCS#12 file (a <c>.pfx</c> or <c>.p12</c> <c>--tls-cert</c>,
/// with <c>--tls-password</c>), and <c>--tls-client-ca</c> to require client certificates issued by that CA.
/// </summary>
/// <param name="Certificate">The certificate file, or <see langword="null"/> for no TLS.</param>
/// <param name="Key">The PEM key file; <see langword="null"/> when the key is in the certificate file.</param>
/// <param name="Password">The PKCS#12 password.</param>
/// <param name="ClientCa">The PEM file of CA certificates client certificates must chain to.</param>
internal sealed record TlsArguments(string? Certificate, string? Key, string? Password, string? ClientCa)
{
    /// <summary>Whether any TLS option was given.</summary>
    public bool Any => Certificate is not null || Key is not null || Password is not null || ClientCa is not null;

    /// <summary>Loads the files; <see langword="null"/> when no TLS option was given.</summary>
    /// <returns>The options, or <see langword="null"/>.</returns>
    /// <exception cref="TlsConfigurationException">A file is missing or unusable, or the options do not fit together; the message says which.</exception>
    public TlsOptions? Load()
    {
        if (!Any)
        {
            return null;
        }

        if (Certificate is null)
        {
            throw new TlsConfigurationException("--tls-key, --tls-password and --tls-client-ca need --tls-cert.");
        }

        bool pkcs12 = IsPkcs12(Certificate);
        if (pkcs12 && Key is not null)
        {
            throw new TlsConfigurationException($"--tls-key is for a PEM certificate; the PKCS#12 file {Certificate} holds its key (give --tls-password if it has one).");
        }

        if (!pkcs12 && Password is not null)
        {
            throw new TlsConfigurationException($"--tls-password is for a PKCS#12 (.pfx, .p12) certificate, not the PEM file {Certificate}; decrypt an encrypted PEM key instead.");
        }

        TlsOptions options = pkcs12 ? TlsOptions.FromPfxFile(Certificate, Password) : TlsOptions.FromPemFiles(Certificate, Key);
        if (ClientCa is not null)
        {
            options.RequireClientCertificatesFrom(ClientCa);
        }

        return options;
    }

    private static bool IsPkcs12(string path) =>
        path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);
}
