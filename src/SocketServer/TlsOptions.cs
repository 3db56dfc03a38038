using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using SocketServer.Internal.Tls;

namespace SocketServer;

/// <summary>
/// TLS for a stream server: set it on <see cref="TcpServer.Tls"/> (TCP or Unix, any dispatch mode) and every
/// connection is served over TLS, with handlers reading and writing plaintext through
/// <see cref="StreamRequestHandler.RFile"/> and <see cref="StreamRequestHandler.WFile"/> as usual.
/// </summary>
/// <remarks>
/// <para>
/// Only TLS 1.2 and 1.3 are offered; older protocols are refused. The handshake runs in the handler's setup (on the
/// request's thread or worker process, never in the accept loop) and is cut off after <see cref="HandshakeTimeout"/>.
/// A failed handshake closes that connection and reaches <see cref="BaseServer.HandleError"/> as a
/// <see cref="TlsHandshakeException"/>.
/// </para>
/// <para>
/// Build the options once and share them between servers: the certificate contexts are built on first use and
/// cached here (building one costs a chain build). Change them before serving, not while connections are served.
/// </para>
/// </remarks>
public sealed class TlsOptions
{
    private readonly ConcurrentDictionary<X509Certificate2, SslStreamCertificateContext> _contexts = new(ReferenceEqualityComparer.Instance);
    private TimeSpan _handshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Creates options with no certificate yet; set <see cref="Certificate"/> or <see cref="CertificateSelector"/>.</summary>
    public TlsOptions()
    {
    }

    /// <summary>Creates options serving <paramref name="certificate"/>.</summary>
    /// <param name="certificate">The server certificate, with its private key.</param>
    /// <exception cref="TlsConfigurationException">The certificate has no private key.</exception>
    public TlsOptions(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        Certificate = certificate;
    }

    /// <summary>
    /// The server certificate (with its private key), served when <see cref="CertificateSelector"/> is unset or
    /// returns <see langword="null"/>.
    /// </summary>
    /// <exception cref="TlsConfigurationException">The certificate has no private key.</exception>
    public X509Certificate2? Certificate
    {
        get;
        set
        {
            if (value is { HasPrivateKey: false })
            {
                throw new TlsConfigurationException($"The TLS certificate {value.Subject} has no private key; a server needs one.");
            }

            field = value;
        }
    }

    /// <summary>
    /// Intermediate CA certificates sent with <see cref="Certificate"/> (and with selected ones); filled from the
    /// rest of the file by <see cref="FromPemFiles"/> and <see cref="FromPfxFile"/>.
    /// </summary>
    public X509Certificate2Collection Intermediates { get; } = [];

    /// <summary>
    /// Picks the certificate by the host name the client asked for (SNI); <see langword="null"/> (the default) always
    /// serves <see cref="Certificate"/>.
    /// </summary>
    /// <remarks>
    /// Called once per handshake with the requested host name, or <see langword="null"/> when the client sent none.
    /// Returning <see langword="null"/> serves <see cref="Certificate"/>; if that is unset too, the handshake fails.
    /// Return the same instances each time: each certificate's context is built once and cached by reference.
    /// </remarks>
    public Func<string?, X509Certificate2?>? CertificateSelector { get; set; }

    /// <summary>The longest a handshake may take, from the handler's setup to its end; 10 seconds by default (as Kestrel).</summary>
    /// <remarks>A client that says nothing is cut off then: its connection is closed and the failure reported.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive (use <see cref="Timeout.InfiniteTimeSpan"/> for none).</exception>
    public TimeSpan HandshakeTimeout
    {
        get => _handshakeTimeout;
        set
        {
            if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "The handshake timeout must be positive, or Timeout.InfiniteTimeSpan for none.");
            }

            _handshakeTimeout = value;
        }
    }

    /// <summary>Whether clients are asked for a certificate; <see cref="SocketServer.ClientCertificateMode.None"/> by default.</summary>
    public ClientCertificateMode ClientCertificateMode { get; set; }

    /// <summary>
    /// The CA certificates a client certificate must chain to; empty (the default) for the system's trusted roots.
    /// When any are given, only they are trusted (<see cref="X509ChainTrustMode.CustomRootTrust"/>).
    /// </summary>
    /// <remarks>No revocation check and no download of missing issuers is done: either could stall a handshake.</remarks>
    public X509Certificate2Collection ClientCertificateAuthorities { get; } = [];

    /// <summary>
    /// Decides whether a client certificate is accepted; <see langword="null"/> (the default) accepts exactly those
    /// with no policy error.
    /// </summary>
    /// <remarks>
    /// Called with the client's certificate, the chain built against <see cref="ClientCertificateAuthorities"/> (or
    /// the system roots) and the errors found; its answer is final, so it may also accept what the chain refused. It
    /// is not called when the client sent no certificate.
    /// </remarks>
    public Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool>? ClientCertificateValidator { get; set; }

    /// <summary>
    /// The application protocols offered by ALPN, most preferred first; empty (the default) for no ALPN. The
    /// negotiated one is <see cref="StreamRequestHandler.TlsApplicationProtocol"/>.
    /// </summary>
    public IList<SslApplicationProtocol> ApplicationProtocols { get; } = [];

    /// <summary>Loads a certificate and its private key from PEM files.</summary>
    /// <param name="certificatePath">The PEM certificate; any further certificates in it become <see cref="Intermediates"/>.</param>
    /// <param name="keyPath">The PEM private key (PKCS#8, PKCS#1 or SEC1, unencrypted); <see langword="null"/> when it is in <paramref name="certificatePath"/>.</param>
    /// <returns>Options serving that certificate.</returns>
    /// <exception cref="TlsConfigurationException">A file is missing or unreadable, is not PEM, has no key, or the key does not match.</exception>
    public static TlsOptions FromPemFiles(string certificatePath, string? keyPath = null)
    {
        (X509Certificate2 certificate, X509Certificate2Collection rest) = CertificateFiles.LoadPem(certificatePath, keyPath);
        var options = new TlsOptions(certificate);
        options.Intermediates.AddRange(rest);
        return options;
    }

    /// <summary>Loads a certificate and its private key from a PKCS#12 (.pfx, .p12) file.</summary>
    /// <param name="path">The PKCS#12 file; certificates in it other than the one with the key become <see cref="Intermediates"/>.</param>
    /// <param name="password">The file's password; <see langword="null"/> for none.</param>
    /// <returns>Options serving that certificate.</returns>
    /// <exception cref="TlsConfigurationException">The file is missing or unreadable, not PKCS#12, the password is wrong, or there is no private key.</exception>
    public static TlsOptions FromPfxFile(string path, string? password = null)
    {
        (X509Certificate2 certificate, X509Certificate2Collection rest) = CertificateFiles.LoadPfx(path, password);
        var options = new TlsOptions(certificate);
        options.Intermediates.AddRange(rest);
        return options;
    }

    /// <summary>Requires client certificates issued by the CA certificates in a PEM file.</summary>
    /// <param name="caPath">A PEM file of one or more CA certificates.</param>
    /// <returns>These options, with <see cref="ClientCertificateMode"/> set to <see cref="SocketServer.ClientCertificateMode.Required"/>.</returns>
    /// <exception cref="TlsConfigurationException">The file is missing, unreadable, or holds no PEM certificate.</exception>
    public TlsOptions RequireClientCertificatesFrom(string caPath)
    {
        ClientCertificateAuthorities.AddRange(CertificateFiles.LoadAuthorities(caPath));
        ClientCertificateMode = ClientCertificateMode.Required;
        return this;
    }

    /// <summary>The context for <paramref name="certificate"/>, built once (it builds the chain) and reused.</summary>
    internal SslStreamCertificateContext ContextFor(X509Certificate2 certificate) =>
        _contexts.GetOrAdd(certificate, static (cert, intermediates) => SslStreamCertificateContext.Create(cert, intermediates, offline: true), Intermediates);
}
