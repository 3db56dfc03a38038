namespace SocketServer;

/// <summary>
/// Thrown by a handler's <see cref="StreamRequestHandler.RFile"/> or <see cref="StreamRequestHandler.WFile"/> when the
/// server ended the connection because it broke one of the <see cref="ServerLimits"/> (or a drain's grace period
/// ended). The message names the limit and its value.
/// </summary>
/// <remarks>
/// It is an <see cref="IOException"/>, so handlers that catch I/O failures catch it too. When it escapes the handler
/// the server does not call <see cref="BaseServer.HandleError"/>: the event was counted and reported (at most once
/// per 30 seconds per limit) when it happened, so a flood of bad peers cannot flood the error log.
/// </remarks>
public sealed class ConnectionLimitException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="limitName">The name of the limit, as the <see cref="ServerLimits"/> property.</param>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The socket failure it caused, if any.</param>
    public ConnectionLimitException(string limitName, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        LimitName = limitName;
    }

    /// <summary>The limit that was broken: a <see cref="ServerLimits"/> property name, or <c>DrainGracePeriod</c>.</summary>
    public string LimitName { get; }

    /// <summary>A line over <see cref="ServerLimits.MaxLineLength"/> where no connection state tracks it (a forking worker).</summary>
    internal static ConnectionLimitException LineTooLong(int maxLineLength) => new(
        nameof(ServerLimits.MaxLineLength),
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"A line from the client is longer than ServerLimits.MaxLineLength ({maxLineLength} bytes, its \\n included)."));
}
