namespace SocketServer;

/// <summary>Whether a TLS server asks its clients for a certificate; see <see cref="TlsOptions.ClientCertificateMode"/>.</summary>
public enum ClientCertificateMode
{
    /// <summary>No client certificate is asked for (the default).</summary>
    None,

    /// <summary>A certificate is asked for; a client without one is served, a client with an invalid one is refused.</summary>
    Optional,

    /// <summary>A valid certificate is required; a client without one, or with an invalid one, is refused.</summary>
    Required,
}
