namespace SocketServer.Hosting;

/// <summary>
/// TLS for a hosted server's stream endpoints (TCP and Unix), from files: the configuration's <c>Tls</c> section. Set
/// <see cref="CertificateFile"/> to turn it on; datagram endpoints of the same server stay plaintext.
/// </summary>
/// <remarks>
/// The files are read once when the host starts, into one <see cref="SocketServer.TlsOptions"/> shared by the server's
/// stream endpoints; a file that cannot be used fails the start with <see cref="TlsConfigurationException"/>'s message.
/// For what files cannot express (a certificate from a store, SNI, ALPN, a client-certificate validator), build a
/// <see cref="SocketServer.TlsOptions"/> in code and set <see cref="Options"/> instead.
/// </remarks>
public sealed class SocketServerTlsOptions
{
    /// <summary>
    /// The server certificate: a PEM file (its further certificates are the chain), or a PKCS#12 file (<c>.pfx</c>,
    /// <c>.p12</c>) with its private key. <see langword="null"/> (the default) for no TLS.
    /// </summary>
    public string? CertificateFile { get; set; }

    /// <summary>The PEM private key of a PEM <see cref="CertificateFile"/>; <see langword="null"/> when the key is in that file.</summary>
    public string? KeyFile { get; set; }

    /// <summary>The password of a PKCS#12 <see cref="CertificateFile"/>; <see langword="null"/> for none.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// A PEM file of the CA certificates that client certificates must chain to; when set, every client must present
    /// one (<see cref="ClientCertificateMode.Required"/>). <see langword="null"/> (the default) asks for none.
    /// </summary>
    public string? ClientCaFile { get; set; }

    /// <summary>The longest a handshake may take; <see langword="null"/> (the default) keeps the library's 10 seconds.</summary>
    public TimeSpan? HandshakeTimeout { get; set; }

    /// <summary>
    /// TLS options built in code, used as they are instead of the files above (setting both is a validation error);
    /// <see langword="null"/> (the default) uses the files. Not read from configuration.
    /// </summary>
    public TlsOptions? Options { get; set; }

    /// <summary>Whether TLS is asked for: a certificate file or options in code.</summary>
    internal bool IsEnabled => CertificateFile is not null || Options is not null;
}
