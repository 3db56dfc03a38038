using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace SocketServer.Cli.Send;

/// <summary>
/// The client side of TLS for <c>send</c>: the server's certificate must chain to the system's trusted CAs, or with
/// <c>--tls-ca</c> to a CA in that file, and name the host as written in the address (a Unix socket has no host name, so
/// only the chain is checked there); <c>--tls-insecure</c> checks nothing. Revocation is not checked: that would fetch
/// from the network.
/// </summary>
internal sealed class TlsClient
{
    private readonly X509Certificate2Collection? _authorities;

    /// <summary>Creates the client.</summary>
    /// <param name="authorities">The CAs of <c>--tls-ca</c>, trusted instead of the system's; null for the system's.</param>
    /// <param name="insecure"><c>--tls-insecure</c>: accept any certificate.</param>
    public TlsClient(X509Certificate2Collection? authorities, bool insecure)
    {
        _authorities = authorities;
        Insecure = insecure;
    }

    /// <summary>Whether the server's certificate is accepted unchecked.</summary>
    public bool Insecure { get; }

    /// <summary>
    /// Runs the handshake over <paramref name="inner"/>, which the returned stream owns: a TLS stream whose reads and
    /// writes may overlap (see <see cref="SerializedTlsStream"/>).
    /// </summary>
    /// <param name="inner">The connection.</param>
    /// <param name="target">The server, for the name to check.</param>
    /// <param name="cancellationToken">Ends the handshake.</param>
    /// <returns>The TLS stream.</returns>
    /// <exception cref="AuthenticationException">The handshake failed; the message says why in one sentence, and what to do.</exception>
    public async Task<SerializedTlsStream> AuthenticateAsync(Stream inner, SendTarget target, CancellationToken cancellationToken)
    {
        SslPolicyErrors refused = SslPolicyErrors.None;
        string chainStatus = "";
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = target.HostName,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = _authorities is null ? null : CustomTrust(_authorities),
            RemoteCertificateValidationCallback = (_, _, chain, errors) =>
            {
                if (Insecure)
                {
                    return true;
                }

                if (target.IsUnix)
                {
                    errors &= ~SslPolicyErrors.RemoteCertificateNameMismatch;
                }

                refused = errors;
                chainStatus = chain is null ? "" : string.Join(", ", chain.ChainStatus.Select(static s => s.Status).Distinct());
                return errors == SslPolicyErrors.None;
            },
        };
        try
        {
            // The TLS stream is disposed (with the connection) when the handshake fails.
            return await SerializedTlsStream.AuthenticateAsync(inner, tls => tls.AuthenticateAsClientAsync(options, cancellationToken)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            throw new AuthenticationException(Explain(refused, chainStatus, target, e), e);
        }
    }

    private static X509ChainPolicy CustomTrust(X509Certificate2Collection authorities)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(authorities);
        return policy;
    }

    private string Explain(SslPolicyErrors refused, string chainStatus, SendTarget target, Exception e)
    {
        if ((refused & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return "the server sent no certificate.";
        }

        if ((refused & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            string status = chainStatus.Length == 0 ? "" : $" ({chainStatus})";
            return _authorities is null
                ? $"the server's certificate is not trusted{status}; give --tls-ca FILE with the CA that issued it, or --tls-insecure to skip the check."
                : $"the server's certificate does not chain to a CA in --tls-ca{status}; give the file of the CA that issued it, or --tls-insecure to skip the check.";
        }

        if ((refused & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return $"the server's certificate is not issued for '{target.HostName}'; use a name or address it names, or --tls-insecure to skip the check.";
        }

        // The certificate was not the problem: the server does not speak TLS, or refused this client.
        Exception innermost = e;
        while (innermost.InnerException is { } inner)
        {
            innermost = inner;
        }

        return $"the TLS handshake failed: {innermost.Message.TrimEnd('.')} (is it a TLS server?).";
    }
}
