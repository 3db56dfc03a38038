namespace SocketServer.Internal.Diagnostics;

/// <summary>
/// A reply to a Unix datagram client whose socket has no name, which cannot be answered: the client's fault, which
/// <see cref="ServerDiagnostics.ReportClientFault"/> logs as one line. Still an <see cref="InvalidOperationException"/>,
/// as documented, to whoever catches it.
/// </summary>
internal sealed class UnnamedClientException : InvalidOperationException
{
    /// <summary>Creates the exception with the one message every handler gives.</summary>
    public UnnamedClientException()
        : base("Cannot reply: the client's Unix datagram socket has no name. A client that wants replies must bind its socket to a path.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public UnnamedClientException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public UnnamedClientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
