namespace SocketServer;

/// <summary>
/// Asks the server to stop, as Python's <c>SystemExit</c> and <c>KeyboardInterrupt</c> do: thrown from a handler it
/// bypasses <see cref="BaseServer.HandleError"/>, the request is shut down, and the exception propagates out of
/// <see cref="BaseServer.HandleRequest"/> or <see cref="BaseServer.ServeForever()"/>.
/// </summary>
/// <remarks>
/// On a threading server it reaches <see cref="BaseServer.HandleThreadException"/> instead, which ignores it by
/// default, as Python's thread hook ignores <c>SystemExit</c>. It is the only exception family with this meaning;
/// every other exception, <see cref="OperationCanceledException"/> included, is an ordinary request error.
/// </remarks>
public class ServerExitException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public ServerExitException()
        : base("The request handler asked the server to exit.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">Why the server should exit.</param>
    public ServerExitException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">Why the server should exit.</param>
    /// <param name="innerException">The cause.</param>
    public ServerExitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
