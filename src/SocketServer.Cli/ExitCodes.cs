namespace SocketServer.Cli;

/// <summary>The process exit codes of <c>socketserver</c>; scripts may depend on them (see docs/cli.md).</summary>
internal static class ExitCodes
{
    /// <summary>The servers ran and stopped cleanly on SIGINT or SIGTERM; or <c>bench</c> counted no error.</summary>
    public const int Success = 0;

    /// <summary>
    /// The command line was not understood: an unknown option or argument, a missing one, or a value that does not fit
    /// (two lines on standard error: the problem, then where the help is).
    /// </summary>
    public const int Usage = 1;

    /// <summary>
    /// A listener address was malformed, or could not be bound (for example the port is in use); or a bad
    /// <c>bench --target</c>; or <c>send</c> could not reach its server (a bad address, a refused connection, a failed
    /// TLS handshake) or the connection failed.
    /// </summary>
    public const int Address = 2;

    /// <summary>A listener's serve loop failed unexpectedly after it had started.</summary>
    public const int ServeFailed = 3;

    /// <summary><c>bench</c> ran to its end but counted at least one error (connect, reset, mismatch, timeout or other).</summary>
    public const int LoadErrors = 4;

    /// <summary>
    /// <c>bench</c> only: the target did not echo. A reply differed from what was sent, or no error was counted and not
    /// one message came back (a server that only reads, or answers something else). One line on standard error says which.
    /// </summary>
    public const int NotEchoed = 5;

    /// <summary>
    /// <c>send</c> only: no reply came. On a stream, nothing at all before the server closed or <c>--wait</c> ran out (with
    /// <c>--connection-per-line</c>, for some line); on datagrams, some datagram got no reply within <c>--wait</c>. One line
    /// on standard error says which.
    /// </summary>
    public const int NoReply = 6;
}
