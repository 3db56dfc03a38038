namespace SocketServer;

/// <summary>
/// A certificate, key or CA file for TLS could not be used: it is missing, unreadable, not valid PEM or PKCS#12,
/// has no private key, or the password is wrong. The message names the file and the problem.
/// </summary>
public sealed class TlsConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TlsConfigurationException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong.</param>
    public TlsConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public TlsConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for one file.</summary>
    /// <param name="path">The file at fault.</param>
    /// <param name="message">What is wrong with it, naming the file.</param>
    /// <param name="innerException">The cause, if any.</param>
    public TlsConfigurationException(string path, string message, Exception? innerException)
        : base(message, innerException)
    {
        Path = path;
    }

    /// <summary>The file at fault, when there is one.</summary>
    public string? Path { get; }
}
