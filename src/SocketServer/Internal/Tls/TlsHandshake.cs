using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SocketServer.Internal.Diagnostics;

namespace SocketServer.Internal.Tls;

/// <summary>
/// The server side of a TLS handshake over any stream, bounded by <see cref="TlsOptions.HandshakeTimeout"/>; shared
/// by the synchronous handlers (setup and STARTTLS), the async path's accept-time handshakes and async handlers'
/// STARTTLS.
/// </summary>
internal static class TlsHandshake
{
    /// <summary>TLS 1.2 and 1.3 only: anything older is refused.</summary>
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>
    /// Authenticates as the server over <paramref name="inner"/>. On success the returned stream owns
    /// <paramref name="inner"/>; on failure both are disposed and a <see cref="TlsHandshakeException"/> names the client.
    /// </summary>
    /// <param name="inner">The connection's plaintext stream (owning it or not, as the caller chose).</param>
    /// <param name="options">The server's TLS options.</param>
    /// <param name="clientAddress">The client, for the error message.</param>
    /// <param name="cancellationToken">Cancels the handshake besides the options' deadline.</param>
    /// <returns>The authenticated stream.</returns>
    /// <exception cref="TlsHandshakeException">The handshake failed or timed out.</exception>
    public static Task<SslStream> AuthenticateAsync(Stream inner, TlsOptions options, EndPoint? clientAddress, CancellationToken cancellationToken = default) =>
        AuthenticateAsync(inner, options, clientAddress, diagnostics: null, cancellationToken);

    /// <summary>
    /// Authenticates as the server over <paramref name="inner"/>, recording the handshake's duration in
    /// <paramref name="diagnostics"/> (<c>socketserver.tls_handshake.duration</c>, with the version or the error).
    /// </summary>
    /// <param name="inner">The connection's plaintext stream (owning it or not, as the caller chose).</param>
    /// <param name="options">The server's TLS options.</param>
    /// <param name="clientAddress">The client, for the error message.</param>
    /// <param name="diagnostics">The server's diagnostics; null records nothing.</param>
    /// <param name="cancellationToken">Cancels the handshake besides the options' deadline.</param>
    /// <returns>The authenticated stream.</returns>
    /// <exception cref="TlsHandshakeException">The handshake failed or timed out.</exception>
    public static async Task<SslStream> AuthenticateAsync(Stream inner, TlsOptions options, EndPoint? clientAddress, ServerDiagnostics? diagnostics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(options);
        long started = Stopwatch.GetTimestamp();
        var watch = new ReceiveWatchStream(inner);
        var stream = new SslStream(watch, leaveInnerStreamOpen: false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.HandshakeTimeout != Timeout.InfiniteTimeSpan)
        {
            deadline.CancelAfter(options.HandshakeTimeout);
        }

        var attempt = new HandshakeAttempt(options);
        try
        {
            await stream.AuthenticateAsServerAsync(SelectOptions, attempt, deadline.Token).ConfigureAwait(false);
            diagnostics?.TlsHandshake(Stopwatch.GetElapsedTime(started), stream.SslProtocol, errorType: null);
            return stream;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            diagnostics?.TlsHandshake(Stopwatch.GetElapsedTime(started), protocol: null, "timeout");
            await stream.DisposeAsync().ConfigureAwait(false);
            throw new TlsHandshakeException(
                string.Create(CultureInfo.InvariantCulture, $"TLS handshake with {ClientName.Describe(clientAddress)} timed out after {options.HandshakeTimeout.TotalSeconds:0.###} s (HandshakeTimeout)."), e)
            { TimedOut = true, ClientSentNothing = !watch.Received };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // AuthenticationException and IOException mostly; also whatever building the certificate context or a
            // user's selector or validator threw: all are this one client's failure, reported with its address.
            diagnostics?.TlsHandshake(Stopwatch.GetElapsedTime(started), protocol: null, e.GetType().FullName);
            await stream.DisposeAsync().ConfigureAwait(false);
            throw new TlsHandshakeException($"TLS handshake with {ClientName.Describe(clientAddress)} failed: {attempt.Rejection ?? Cause(e)}", e)
            {
                ClientSentNothing = !watch.Received,
            };
        }
        catch (Exception e)
        {
            // Cancelled by the caller (the server stops): not the client's failure, but the handshake did not finish.
            diagnostics?.TlsHandshake(Stopwatch.GetElapsedTime(started), protocol: null, e.GetType().FullName);
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The synchronous form, for a request thread: blocks until the handshake ends.</summary>
    public static SslStream Authenticate(Stream inner, TlsOptions options, EndPoint? clientAddress, ServerDiagnostics? diagnostics = null) =>
        AuthenticateAsync(inner, options, clientAddress, diagnostics, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>The server options for this client's hello: the certificate chosen by its SNI name, and the client-certificate policy.</summary>
    private static ValueTask<SslServerAuthenticationOptions> SelectOptions(SslStream stream, SslClientHelloInfo hello, object? state, CancellationToken cancellationToken)
    {
        var attempt = (HandshakeAttempt)state!;
        TlsOptions options = attempt.Options;
        string? hostName = string.IsNullOrEmpty(hello.ServerName) ? null : hello.ServerName;
        X509Certificate2 certificate = options.CertificateSelector?.Invoke(hostName) ?? options.Certificate
            ?? throw new AuthenticationException(hostName is null
                ? "no server certificate: TlsOptions has no Certificate and the CertificateSelector chose none."
                : $"no server certificate for the host name '{hostName}': the CertificateSelector chose none and TlsOptions has no Certificate.");
        var server = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = options.ContextFor(certificate),
            EnabledSslProtocols = Protocols,
            ClientCertificateRequired = options.ClientCertificateMode != ClientCertificateMode.None,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            AllowRenegotiation = false,
        };
        if (options.ApplicationProtocols.Count > 0)
        {
            server.ApplicationProtocols = [.. options.ApplicationProtocols];
        }

        if (options.ClientCertificateMode != ClientCertificateMode.None)
        {
            server.CertificateChainPolicy = ChainPolicy(options);
            server.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => ValidateClient(attempt, certificate, chain, errors);
        }

        return ValueTask.FromResult(server);
    }

    private static X509ChainPolicy ChainPolicy(TlsOptions options)
    {
        // Never fetch issuers or revocation lists during a handshake: a slow outside host would stall it (a DoS vector).
        var policy = new X509ChainPolicy
        {
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2")); // clientAuth
        if (options.ClientCertificateAuthorities.Count > 0)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(options.ClientCertificateAuthorities);
        }

        return policy;
    }

    // Each refusal keeps its reason in the attempt: SslStream's own error names only the callback.
    private static bool ValidateClient(HandshakeAttempt attempt, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        TlsOptions options = attempt.Options;
        if (certificate is null)
        {
            if (options.ClientCertificateMode == ClientCertificateMode.Optional)
            {
                return true;
            }

            attempt.Rejection = "the client sent no certificate, and this server requires one (ClientCertificateMode.Required): configure the client with a certificate issued by one of the server's client CAs.";
            return false;
        }

        if (options.ClientCertificateValidator is { } validator)
        {
            X509Certificate2 client = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            if (!validator(client, chain, errors))
            {
                attempt.Rejection = $"the ClientCertificateValidator refused the client's certificate '{certificate.Subject}'.";
                return false;
            }

            return true;
        }

        if (errors != SslPolicyErrors.None)
        {
            string status = chain is null || chain.ChainStatus.Length == 0
                ? errors.ToString()
                : string.Join(", ", chain.ChainStatus.Select(static s => s.Status).Distinct());
            attempt.Rejection = $"the client's certificate '{certificate.Subject}' is not trusted ({status}): the client must present a certificate issued by one of the server's client CAs, for client authentication.";
            return false;
        }

        return true;
    }

    private static string Cause(Exception e)
    {
        // SslStream wraps the useful part (an OpenSSL alert, "frame size", a reset) in inner exceptions, behind
        // "Authentication failed, see inner exception.": keep the messages that say something.
        List<string> parts = [];
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            string message = current.Message.Trim();
            if (message.Length > 0 && !message.EndsWith("see inner exception.", StringComparison.Ordinal) && !parts.Exists(p => p.Contains(message, StringComparison.Ordinal)))
            {
                parts.Add(message);
            }
        }

        return parts.Count == 0 ? e.GetType().Name : parts[0] + string.Concat(parts.Skip(1).Select(static p => $" ({p})"));
    }
}
