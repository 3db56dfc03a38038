namespace SocketServer;

/// <summary>
/// systemd socket activation was asked for but the environment does not pass usable sockets: the variables are
/// missing or name another process, or a passed descriptor is not a listening socket. The message names the problem.
/// </summary>
public sealed class SystemdActivationException : Exception
{
    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">What is wrong with the environment.</param>
    public SystemdActivationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    /// <param name="message">What is wrong with the environment.</param>
    /// <param name="innerException">The system's error.</param>
    public SystemdActivationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a general message.</summary>
    public SystemdActivationException()
        : base("systemd socket activation failed.")
    {
    }
}
