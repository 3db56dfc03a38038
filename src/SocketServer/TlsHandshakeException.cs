namespace SocketServer;

/// <summary>
/// A client's TLS handshake failed or did not finish before <see cref="TlsOptions.HandshakeTimeout"/>. It reaches
/// <see cref="BaseServer.HandleError"/> like any failed request; the connection is closed and the server goes on.
/// </summary>
/// <remarks>
/// Scanners, plaintext clients on the TLS port and clients that distrust the certificate all end here: an
/// <see cref="BaseServer.HandleError"/> override may want to log it more quietly than a handler's bug.
/// </remarks>
public sealed class TlsHandshakeException : IOException
{
    /// <summary>Creates the exception.</summary>
    public TlsHandshakeException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened, naming the client.</param>
    public TlsHandshakeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened, naming the client.</param>
    /// <param name="innerException">The cause.</param>
    public TlsHandshakeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Whether the handshake was cut off by <see cref="TlsOptions.HandshakeTimeout"/>.</summary>
    public bool TimedOut { get; init; }

    /// <summary>
    /// Whether the client closed (or reset) without sending a byte: a port probe or a health check rather than a
    /// failed client, which the library logs at Debug only.
    /// </summary>
    internal bool ClientSentNothing { get; init; }
}
