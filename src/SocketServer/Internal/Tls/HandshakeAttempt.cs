namespace SocketServer.Internal.Tls;

/// <summary>
/// One server handshake: the options it runs with, and why the client's certificate was refused, if it was. SslStream
/// reports a refusal only as "rejected by the provided RemoteCertificateValidationCallback"; the reason kept here
/// replaces that in the error.
/// </summary>
internal sealed class HandshakeAttempt(TlsOptions options)
{
    public TlsOptions Options { get; } = options;

    /// <summary>Why the client's certificate was refused, and what the client must do; null when it was not.</summary>
    public string? Rejection { get; set; }
}
