namespace SocketServer.Cli;

/// <summary>The process exit codes of <c>socketserver</c>; scripts may depend on them (see docs/cli.md).</summary>
internal static class ExitCodes
{
    /// <summary>The servers ran and stopped cleanly on SIGINT or SIGTERM.</summary>
    public const int Success = 0;

    /// <summary>The command line was not understood (System.CommandLine's own code for parse errors).</summary>
    public const int Usage = 1;

    /// <summary>A listener address was malformed, or could not be bound (for example the port is in use).</summary>
    public const int Address = 2;

    /// <summary>A listener's serve loop failed unexpectedly after it had started.</summary>
    public const int ServeFailed = 3;
}
